"""oomph demo: a small numpy job whose peak memory is easy to read.

At the peak, three arrays are live at once, each made by a different function:

  load_samples()   160 MiB   np.random.default_rng().random(...)
  normalise()       80 MiB   float32 copy of the samples, scaled to [0, 1]
  histogram()       32 MiB   per-row bucket counts (int64)

Run it with `make demo` (or `build/oomph run examples/demo.py`): the report
shows those three lines holding 272 MiB together, and the rest (numpy's
import, small temporaries) as a thin sliver.  After the peak the job frees
the big arrays and finishes with a small summary, which is not the peak.
"""
import sys

import numpy as np

MiB = 1 << 20
ROWS = 1024


def load_samples():
    rng = np.random.default_rng(42)
    return rng.random((ROWS, 160 * MiB // 8 // ROWS))  # 160 MiB of float64


def normalise(samples):
    out = samples.astype(np.float32)  # 80 MiB of float32
    np.subtract(out, out.min(), out=out)  # in place: no temporaries
    np.divide(out, out.max(), out=out)
    for _ in range(6):  # smooth the distribution, still in place
        np.sqrt(out, out=out)
        np.multiply(out, out, out=out)
        np.sin(out, out=out)
    return out


def histogram(norm):
    counts = np.zeros((ROWS, 4096), dtype=np.int64)  # 32 MiB of int64
    for r in range(ROWS):
        buckets = (norm[r] * 4095).astype(np.int64)  # one row: 160 KiB
        counts[r] = np.bincount(buckets, minlength=4096)
    return counts


def summarise(counts):
    per_bucket = counts.sum(axis=0)
    return int(per_bucket.argmax()), int(per_bucket.max())


def main():
    samples = load_samples()
    norm = normalise(samples)
    counts = histogram(norm)  # the peak: all three arrays are live here
    del samples, norm
    bucket, height = summarise(counts)
    print(f"busiest bucket {bucket} holds {height} samples")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
