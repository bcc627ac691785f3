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


def prepare_before_ui() -> None:
    """Start multiprocessing's resource tracker now, while sys.stderr is still the real one.

    A Textual app replaces sys.stderr with a capture whose fileno() is -1, and the tracker passes
    sys.stderr's descriptor to its process: started later (by the debrief's workers, after the
    first frame) it fails ("bad value(s) in fds_to_keep"). Started before the app runs (a few
    milliseconds), it is simply reused; the fork server passes no such descriptor and can start
    lazily, in the worker that needs it. It lives here, not beside the debrief's pool, so that
    starting it does not import the debrief before the console's first frame."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
