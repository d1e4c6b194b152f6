"""zlib: compress and decompress 48 MiB, each line keeping what it made.

@zlib_data makes 48 MiB of random bytes; @zlib_compress compresses them
(zlib runs deflate with the GIL released; random bytes do not shrink, so
the result is a little larger than the input); @zlib_decompress gets the
48 MiB back.  All three are live when @zlib_peak allocates 160 MiB: the
peak, at which each line holds its own object.  Prints the sizes as JSON.
"""
import json
import os
import sys
import zlib

MiB = 1 << 20


def main():
    data = os.urandom(48 * MiB)  # @zlib_data
    packed = zlib.compress(data, 1)  # @zlib_compress
    back = zlib.decompress(packed)  # @zlib_decompress
    peak = bytearray(160 * MiB)  # @zlib_peak
    assert back == data
    print(json.dumps({"data": len(data), "packed": len(packed), "back": len(back),
                      "peak": len(peak)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
