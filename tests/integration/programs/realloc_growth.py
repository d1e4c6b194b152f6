"""Buffers grown by many small appends (realloc), both live at the peak.

@grow_bytes grows a bytearray to 96 MiB by 1 MiB `+=`; @grow_list grows a
list to 8 Mi slots by append.  Prints, as JSON, the bytes each buffer holds
(its allocated capacity, from __sizeof__): what its line must hold.
"""
import json
import sys

MiB = 1 << 20


def grow_bytes(total):
    chunk = b"x" * MiB
    b = bytearray()
    for _ in range(total // MiB):
        b += chunk  # @grow_bytes
    return b


def grow_list(n):
    items = []
    for _ in range(n):
        items.append(None)  # @grow_list
    return items


def main():
    b = grow_bytes(96 * MiB)
    lst = grow_list(8 * MiB)
    print(json.dumps({
        "bytes_len": len(b),
        "bytes_capacity": b.__sizeof__() - bytearray().__sizeof__(),
        "list_len": len(lst),
        "list_capacity": lst.__sizeof__() - [].__sizeof__(),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
