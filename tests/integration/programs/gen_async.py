"""Generators, coroutines and async generators allocating known sizes.

  @gen_yield    a generator body yields 3 x 16 MiB (consumed by @gen_consume)
  @async_alloc  a coroutine returns 40 MiB (awaited at @async_await)
  @agen_yield   an async generator yields 2 x 12 MiB (consumed at @agen_consume)
Everything stays alive until the end, so all of it is live at the peak.
"""
import asyncio
import sys

MiB = 1 << 20
kept = []


def chunks(n):
    for _ in range(n):
        yield bytearray(16 * MiB)  # @gen_yield


async def produce():
    await asyncio.sleep(0)
    return bytearray(40 * MiB)  # @async_alloc


async def agen(n):
    for _ in range(n):
        await asyncio.sleep(0)
        yield bytearray(12 * MiB)  # @agen_yield


async def amain():
    block = await produce()  # @async_await
    kept.append(block)
    async for b in agen(2):  # @agen_consume
        kept.append(b)


def main():
    kept.extend(list(chunks(3)))  # @gen_consume
    asyncio.run(amain())
    print(sum(len(b) for b in kept))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
