"""The one range a drill's seed may take, checked wherever a seed comes in (the command line, the
picker, a scenario file, a journal, the results store, a session)."""

from __future__ import annotations

from numbers import Integral

# Seeds are stored as SQLite's signed 64-bit integers and in JSON journals; 63 bits keep them
# non-negative everywhere.
SEED_LIMIT = 2**63
SEED_RANGE = "between 0 and 2**63-1"  # how a refusal names the range


def drawn_seed() -> int:
    """A seed nobody can know ahead: a ranked game day's drill, so that no team can look up its
    hidden fault by running the same seed beforehand."""
    import secrets

    return secrets.randbelow(SEED_LIMIT)


def is_seed(value: object) -> bool:
    """A whole number (never a bool) a drill may be seeded with."""
    return isinstance(value, Integral) and not isinstance(value, bool) and 0 <= int(value) < SEED_LIMIT
