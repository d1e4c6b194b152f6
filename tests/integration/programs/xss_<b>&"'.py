"""A program whose file name and source text try to break out of every
context the report writes them into."""
held = []


def f():
    held.append(bytearray(8 << 20)); s = "</script><svg onload=alert(1)>"  # @hostile
    return s


f()
