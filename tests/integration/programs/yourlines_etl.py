"""A small pandas ETL: read a CSV, a datetime accessor, a groupby, a merge.

The lines marked @read, @dates, @group and @merge are the program's; the
memory they hold at the peak is allocated deep inside pandas and numpy.
"""
import io

import numpy as np
import pandas as pd

ROWS = 300_000


def make_csv():
    rng = np.random.default_rng(1)
    t = pd.date_range("2024-01-01", periods=ROWS, freq="min")
    df = pd.DataFrame({"t": t, "k": rng.integers(0, 1000, ROWS), "v": rng.random(ROWS)})
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue()


def read(text):
    return pd.read_csv(io.StringIO(text), parse_dates=["t"])  # @read


def enrich(df):
    df["day"] = df["t"].dt.date  # @dates
    df["hour"] = df["t"].dt.strftime("%Y-%m-%d %H:00")  # @hours
    return df


def summarise(df):
    return df.groupby("k", as_index=False)["v"].sum()  # @group


def join(df, sums):
    return df.merge(sums, on="k", suffixes=("", "_sum"))  # @merge


def main():
    df = enrich(read(make_csv()))
    out = join(df, summarise(df))
    print(len(out), int(out.memory_usage(deep=True).sum()))


if __name__ == "__main__":
    main()
