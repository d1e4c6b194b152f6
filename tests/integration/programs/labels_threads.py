"""Frames of a package, of the standard library and of the program, and the
plumbing of a thread: the flame graphs name them as a person knows them
(numpy/core/numeric.py, json/encoder.py, labels_threads.py) and fold the
thread's bootstrap; the exports keep every frame as recorded."""
import json
import threading

import numpy as np

MiB = 1 << 20
keep = []


def work():
    keep.append(np.ones(64 * MiB // 8))  # @ones


def encode():
    keep.append(json.dumps([0.5] * (2 << 20)))  # @json


t = threading.Thread(target=work)
t.start()
t.join()
encode()
print(len(keep))
