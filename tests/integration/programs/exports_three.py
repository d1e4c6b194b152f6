def big(n):
    return bytearray(n << 20)


def a():
    return big(40)


def b():
    return big(24)


def c():
    return [bytearray(1 << 20) for _ in range(12)]


keep = [a(), b(), c()]
del keep
