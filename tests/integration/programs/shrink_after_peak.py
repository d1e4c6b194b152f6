# Five lines of known sizes, then a shrinking realloc right after the peak
# (issue 11, item 1): the peak picture is the five lines, exactly.
a = bytearray(80 << 20)  # @l80
b = bytearray(40 << 20)  # @l40
c = bytearray(90 << 20)  # @l90
d = bytearray(30 << 20)  # @l30
e = bytearray(15 << 20)  # @l15
del c[10 << 20:]  # @shrink: a realloc from 90 MiB down to 10 MiB
