"""A 1 s program in three phases: 60 MiB held for 0.25 s and freed, then
150 MiB, then 100 MiB (each on a line of its own)."""
import time

MiB = 1 << 20


def phase(blocks):
    held = [bytearray(MiB) for _ in range(blocks)]  # @held
    time.sleep(0.25)
    del held
    time.sleep(0.05)


def main():
    phase(60)   # @first
    phase(150)  # @second
    phase(100)  # @third


main()
