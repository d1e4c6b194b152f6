"""Asks for 10 TB at once: the allocation fails and MemoryError ends it."""
kept = [bytearray(1 << 20) for _ in range(8)]  # @kept


def allocate():
    return bytearray(10**13)  # @huge


allocate()
