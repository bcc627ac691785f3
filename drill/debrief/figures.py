"""What a re-simulation and a journal tell the debrief, as typed records.

A worker returns a re-simulation's figures as a JSON-able dict (`sim.extract`, `sim.run_sim`), and
the cache keeps that dict on disk: that is the one format that crosses processes and runs. `read`
is the one place the debrief turns it into records; a journal's commands and end are read into the
same records (`commands_of_journal`, `outcome_of`). Nothing past this module reads those dicts.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields

from drill.debrief.sim import visible_in
from drill.session.journal import Journal
from drill.session.replay import crew_label
from drill.session.scoring import Outcome

FACILITATOR = "facilitator"  # who issued a command: the trainee (the default) or the facilitator


@dataclass(frozen=True)
class Visible:
    """The first moment the fault showed on the trainee's screen, and what showed it."""

    t: int
    kind: str  # message, alert, child
    reason: str

    @classmethod
    def from_dict(cls, d: dict | None) -> Visible | None:
        return None if d is None else cls(d["t"], d["kind"], d["reason"])


@dataclass(frozen=True)
class Command:
    """One command of a drill with what became of it, in sim milliseconds."""

    seq: int
    t: int
    command: str
    status: str  # done, refused, unfinished
    finished_t: int | None
    by: str  # trainee or facilitator
    result: str = ""  # what the command printed
    who: str = ""  # on a drill worked by a crew, who gave it: "Ann (operator)"

    @property
    def verb(self) -> str:
        return self.command.split()[0]

    @property
    def by_facilitator(self) -> bool:
        return self.by == FACILITATOR


@dataclass(frozen=True)
class Message:
    id: str
    t: int
    kind: str  # email, call
    sender: str
    subject: str
    body: str
    signal: bool  # it pointed at the fault


@dataclass(frozen=True)
class Alert:
    id: str
    t: int
    kind: str
    label: str
    detail: str
    acked_t: int | None


@dataclass(frozen=True)
class Probe:
    """A probe's figure: when the fault showed in a drill left to run (None: it never did)."""

    visible: Visible | None


@dataclass(frozen=True)
class Figures:
    """A finished (or judged, or abandoned) re-simulation."""

    outcome: Outcome
    end_t: int | None
    curve: tuple[tuple[int, float, float], ...]  # (t ms, loss, gross exposure), every 10 s of market
    phases: tuple[tuple[int, str], ...]
    actions: tuple[Command, ...]
    # The messages and alerts, for the trainee's own drill only (None: not collected).
    messages: tuple[Message, ...] | None
    alerts: tuple[Alert, ...] | None
    issued: tuple[tuple, ...]  # the commands as placed: (t, text) or (t, text, "facilitator")
    aborted: bool  # a containment move judged not effective: stopped there

    def messages_until(self, t: int) -> list[Message]:
        return [m for m in self.messages or () if m.t <= t]

    def alerts_until(self, t: int) -> list[Alert]:
        return [a for a in self.alerts or () if a.t <= t]

    def phase_t(self, phase: str) -> int | None:
        """When the incident first entered `phase` (None: it never did)."""
        return first_time(self.phases, phase)

    def visible(self, start: int) -> Visible | None:
        """When the fault first showed on this drill's screen, from its recorded events (None when it
        never did or they were not collected)."""
        if self.messages is None or self.alerts is None:
            return None
        return _visible(start, self.messages, self.alerts, self.phase_t("incident"))


Phases = tuple[tuple[int, str], ...] | list[tuple[int, str]]  # (t ms, phase) in time order


def times_of(phases: Phases, phase: str) -> list[int]:
    """Every time the incident entered `phase`."""
    return [t for t, p in phases if p == phase]


def first_time(phases: Phases, phase: str) -> int | None:
    """When the incident first entered `phase` (None: it never did)."""
    return next(iter(times_of(phases, phase)), None)


@functools.lru_cache(maxsize=32)
def _visible(
    start: int, messages: tuple[Message, ...], alerts: tuple[Alert, ...], incident: int | None
) -> Visible | None:
    # sim.visible_in reads the events as the worker records them.
    found = visible_in(start, [asdict(m) for m in messages], [asdict(a) for a in alerts], incident)
    return Visible.from_dict(found)


_OUTCOME_FIELDS = frozenset(f.name for f in fields(Outcome))


def outcome_of(d: dict) -> Outcome:
    """An outcome as a journal's end record or a re-simulation holds it. Keys an outcome does not
    have are left to replay to report (drill.session.journal), as they always were."""
    return Outcome.from_dict({k: v for k, v in d.items() if k in _OUTCOME_FIELDS})


def _action(a: dict) -> Command:
    return Command(a["seq"], a["t"], a["command"], a["status"], a["finished_t"], a.get("by", "trainee"), a["result"])


def _events(d: dict) -> tuple[tuple[Message, ...] | None, tuple[Alert, ...] | None]:
    """The messages and alerts, where the re-simulation collected them."""
    if "messages" not in d:
        return None, None
    return tuple(Message(**m) for m in d["messages"]), tuple(Alert(**a) for a in d["alerts"])


def read(d: dict) -> Figures | Probe:
    """A re-simulation's figures, from what a worker returned or the cache kept."""
    if "outcome" not in d:
        return Probe(Visible.from_dict(d.get("visible")))
    messages, alerts = _events(d)
    return Figures(
        outcome=outcome_of(d["outcome"]),
        end_t=d.get("end_t"),
        curve=tuple((t, loss, exposure) for t, loss, exposure in d["curve"]),
        phases=tuple((t, p) for t, p in d["phases"]),
        actions=tuple(_action(a) for a in d["actions"]),
        messages=messages,
        alerts=alerts,
        issued=tuple(tuple(c) for c in d.get("issued", [])),
        aborted=bool(d.get("aborted", False)),
    )


def commands_of_journal(journal: Journal) -> tuple[Command, ...]:
    """The journal's commands with their results (a command with none is unfinished)."""
    results = {r.get("seq"): r for r in journal.results}
    out = []
    for c in journal.commands:
        r = results.get(c["seq"], {})
        finished = r.get("t") if isinstance(r.get("t"), int) else None
        by = c.get("by", "trainee")
        status, result = r.get("status", "unfinished"), r.get("result") or ""
        out.append(Command(c["seq"], c["t"], c["command"], status, finished, by, result, crew_label(c)))
    return tuple(out)
