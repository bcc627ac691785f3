"""One seed, split per component: each part of the world draws from its own stream, so adding
draws in one (say, a richer tape sample) never shifts the numbers another part sees."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    # crc32, not hash(): str hashes change with PYTHONHASHSEED and would break replays.
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed & (2**63 - 1), zlib.crc32(name.encode())])))
