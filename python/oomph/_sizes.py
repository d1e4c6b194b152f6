"""Sizes as people write them, and as oomph prints them.

parse_size() reads the grammar of the command's --limit (src/common/size.h):
a decimal number and an optional unit, K M G T P / KiB MiB ... binary, KB MB
... decimal, case-insensitive, fractions rounded down to a byte.  One
difference: white space between the number and the unit is allowed
("24 MB", as pytest markers are usually written).  An int is taken as bytes.
"""
import re

_UNITS = {
    "": 1, "b": 1,
    "k": 1 << 10, "kib": 1 << 10, "kb": 10 ** 3,
    "m": 1 << 20, "mib": 1 << 20, "mb": 10 ** 6,
    "g": 1 << 30, "gib": 1 << 30, "gb": 10 ** 9,
    "t": 1 << 40, "tib": 1 << 40, "tb": 10 ** 12,
    "p": 1 << 50, "pib": 1 << 50, "pb": 10 ** 15,
}
_SIZE_RE = re.compile(r"(\d+)(?:\.(\d+))?\s?([A-Za-z]*)")
INT64_MAX = (1 << 63) - 1


def parse_size(value, what="size"):
    """Bytes (an int >= 0) for 4096, "64k", "1.5G", "24 MB", "200MiB".
    ValueError, naming `what`, for anything else."""
    if isinstance(value, bool):
        raise ValueError("%s: %r is not a size" % (what, value))
    if isinstance(value, int):
        if value < 0:
            raise ValueError("%s: a size cannot be negative (%d)" % (what, value))
        return value
    if not isinstance(value, str):
        raise ValueError("%s: %r is not a size (write e.g. 4096, 64KiB, 512MB, 1.5G)"
                         % (what, value))
    s = value.strip()
    if s.startswith("-"):
        raise ValueError("%s: a size cannot be negative (%r)" % (what, value))
    m = _SIZE_RE.fullmatch(s)
    unit = m and _UNITS.get(m.group(3).lower())
    if not m or unit is None:
        raise ValueError("%s: %r is not a size (write e.g. 4096, 64KiB, 512MB, 1.5G)"
                         % (what, value))
    whole, frac = int(m.group(1)), m.group(2) or ""
    if unit == 1 and frac.strip("0"):
        raise ValueError("%s: %r is a fraction of a byte" % (what, value))
    frac = frac[:19]
    n = whole * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
    if n > INT64_MAX:
        raise ValueError("%s: %r is too large" % (what, value))
    return n


def format_size(n):
    """"100.0 MiB", "512 B", "-1.5 KiB": binary units, one decimal, the same
    text as the command's terminal summary (src/report/text.c)."""
    if n is None:
        return "?"
    sign = "-" if n < 0 else ""
    v = float(abs(n))
    if v < 1024:
        return "%s%d B" % (sign, abs(n))
    units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    u = -1
    while True:
        v /= 1024
        u += 1
        if v < 1024 or u >= 5:
            break
    if v >= 1023.95 and u < 5:  # "1024.0 KiB" reads better as "1.0 MiB"
        v /= 1024
        u += 1
    return "%s%.1f %s" % (sign, v, units[u])
