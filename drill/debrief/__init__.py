"""The debrief: score card, timeline, loss curves, counterfactuals re-simulated from the journal,
and the after-action review. No UI library is imported here; the console and the exports render
the `Debrief` this package builds.

    from drill.debrief import build, stream, Runner

    d = build("drill.jsonl")                      # everything, blocking
    for d in stream("drill.jsonl"):               # a Debrief at once, then one per finished re-simulation
        show(d)                                   # d.done / d.total / d.pending say how far along
"""

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
