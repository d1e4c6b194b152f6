"""Forks while another thread churns small objects (pymalloc pools change
hands and arenas come and go in the parent right after each fork); each
child frees what it inherited and exits.  Every child's state must load
(tests/integration/test_processes.py)."""
import gc
import os
import threading

stop = False
keep = []


def churn():
    while not stop:
        x = [str(i) * 3 for i in range(3000)]  # @churn
        keep.append(x)
        if len(keep) > 4:
            del keep[0]


t = threading.Thread(target=churn)
t.start()
children = []
for _ in range(32):
    pid = os.fork()
    if pid == 0:
        keep.clear()  # frees the pools the parent's churn was filling
        gc.collect()
        os._exit(0)
    children.append(pid)
stop = True
t.join()
codes = [os.waitpid(p, 0)[1] for p in children]
print("fork_churn", len(children), sum(1 for c in codes if c == 0))
