"""Asks for 10 TB, catches the MemoryError, and finishes normally."""


def try_huge():
    try:
        return bytearray(10**13)  # @huge
    except MemoryError:
        return None


for _ in range(3):
    try_huge()
kept = bytearray(8 << 20)  # @kept
print("survived", flush=True)
