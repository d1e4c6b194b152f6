"""numpy arrays made in two Python threads and the main thread, all live at once.

@np_thread_a makes 48 MiB in thread A, @np_thread_b 80 MiB in thread B,
@np_main 32 MiB in the main thread; a barrier keeps all three alive until
each has allocated.
"""
import sys
import threading

import numpy as np

MiB = 1 << 20
barrier = threading.Barrier(3)
kept = []


def thread_a():
    a = np.empty(48 * MiB // 8)  # @np_thread_a
    a.fill(1.0)
    np.sin(a, out=a)
    barrier.wait()
    kept.append(a)


def thread_b():
    b = np.empty(80 * MiB // 8)  # @np_thread_b
    b.fill(1.0)
    np.cos(b, out=b)
    barrier.wait()
    kept.append(b)


def main():
    ts = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in ts:
        t.start()
    m = np.empty(32 * MiB // 8)  # @np_main
    m.fill(1.0)
    barrier.wait()
    for t in ts:
        t.join()
    print(sum(x.nbytes for x in kept) + m.nbytes)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
