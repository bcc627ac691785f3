"""How a console process starts: without the cyclic collector while it builds, and with what it
built (or inherited from a warm parent) left out of later collections. Its own module so the
console bench can start as `drill play` does without importing the console package's entry points."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def starting_up() -> Iterator[None]:
    """Imports and the console's construction without the cyclic garbage collector; at the end
    of the block, everything made so far (modules, classes, the scenario, the morning's world) is
    frozen out of every later collection. Start-up allocates hundreds of thousands of objects
    that live as long as the process: collecting them found nothing to free and cost the first
    frame a full collection (about 0.1 CPU-s), and each later full collection would walk them
    all again. (The recipe of Python's `gc.freeze` documentation.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def freeze_inherited_heap() -> None:
    """Leave what this process holds already out of later collections. A served tab is forked from
    a warm process that imported everything and ran the morning: its first full collections walked
    all of that (about 0.15 CPU-s per tab before its console) and, touching every object, copied
    the parent's memory pages into the tab."""
    gc.freeze()
