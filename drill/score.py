"""The score of one drill: the figures a drill's outcome, a results-store entry and the debrief's
score card all carry. Defined once here and inherited by each; a new score term is one field."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, kw_only=True)
class Score:
    contained: bool
    contained_at: str | None  # HH:MM:SS of the last erroneous child order, once none can follow
    loss_usd: float
    collateral_usd: float
    score_usd: float  # loss plus collateral: what boards rank, lowest first
    grade: str
    bankrupt: bool
    ended_at: str
    ended_by: str  # "end", "resolve", "bankruptcy" or "abandoned"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(Score))

    @classmethod
    def of(cls, record: object) -> Score:
        """The score part of anything that carries one (an Outcome, an Entry, a ScoreCard)."""
        return Score(**{name: getattr(record, name) for name in Score.names()})
