"""The debrief: score card, timeline, loss curves, counterfactuals re-simulated from the journal,
and the after-action review. No UI library is imported here; the console and the exports render
the `Debrief` this package builds.

    from drill.debrief import build, stream, Runner

    d = build("drill.jsonl")                      # everything, blocking
    for d in stream("drill.jsonl"):               # a Debrief at once, then one per finished re-simulation
        show(d)                                   # d.done / d.total / d.pending say how far along

The names below are imported when first used: the console imports `drill.debrief.runner` before
its first frame (to start multiprocessing's resource tracker), and the package must not make it
pay for the whole debrief (its model, plan and lessons: about a fifth of a second) to do that.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

# Where each public name lives.
_HOMES = {
    "build": "drill.debrief.build",
    "stream": "drill.debrief.build",
    "open_journal": "drill.debrief.build",
    "DebriefError": "drill.debrief.build",
    "warm_cache": "drill.debrief.warm",
    "Runner": "drill.debrief.runner",
    **{
        name: "drill.debrief.model"
        for name in (
            "Candidate",
            "CommandEffect",
            "Counterfactual",
            "Debrief",
            "LessonReview",
            "Marker",
            "Reference",
            "ScoreCard",
            "Series",
            "TimelineEvent",
        )
    },
}

__all__ = [
    "build",
    "stream",
    "open_journal",
    "warm_cache",
    "Runner",
    "DebriefError",
    "Debrief",
    "ScoreCard",
    "Reference",
    "TimelineEvent",
    "Series",
    "Marker",
    "Counterfactual",
    "Candidate",
    "CommandEffect",
    "LessonReview",
]

if TYPE_CHECKING:
    from drill.debrief.build import DebriefError, build, open_journal, stream
    from drill.debrief.model import (
        Candidate,
        CommandEffect,
        Counterfactual,
        Debrief,
        LessonReview,
        Marker,
        Reference,
        ScoreCard,
        Series,
        TimelineEvent,
    )
    from drill.debrief.runner import Runner
    from drill.debrief.warm import warm_cache


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    if name != "build":  # see _Package: `build` is never stored here
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """`build` names both a submodule (drill/debrief/build.py) and the function callers import from
    the package. Importing the submodule makes the import system store the module as the package's
    `build`; this property keeps `from drill.debrief import build` the function whatever was
    imported first (the submodule itself stays in sys.modules, where imports find it)."""

    @property
    def build(self):
        return importlib.import_module("drill.debrief.build").build

    @build.setter
    def build(self, _module) -> None:
        pass


sys.modules[__name__].__class__ = _Package
