"""The after-action review: each of the scenario's lessons matched to what the trainee did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drill.debrief.figures import Command, times_of
from drill.debrief.fmt import usd
from drill.debrief.model import LessonReview
from drill.scenario.loader import LoadedScenario
from drill.session.plays import substitutions
from drill.session.scoring import Outcome
from drill.sim.world import fill_placeholders
from drill.timefmt import fmt_clock, fmt_duration, parse_clock


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _either(items: list[str]) -> str:
    items = [f"`{i}`" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True)
class _Drill:
    """What a lesson's check reads: the trainee's commands, how the drill ended, what each cost."""

    commands: list[Command]
    outcome: Outcome
    phases: list[tuple[int, str]]
    cost_of: dict[int, float]

    def matching(self, wanted: list[str], refused: bool = False) -> list[Command]:
        """The trainee's commands that are one of `wanted` (spacing and case aside): those the drill
        accepted, or with `refused`, those it refused."""
        wanted_n = {_norm(w) for w in wanted}
        return [c for c in self.commands if (c.status == "refused") == refused and _norm(c.command) in wanted_n]


# A check: (the drill, the lesson's commands filled in, its deadline) -> (kept, what happened).
Check = Callable[[_Drill, list[str], "int | None"], tuple[bool, str]]


def _command_before(drill: _Drill, wanted: list[str], before: int | None) -> tuple[bool, str]:
    assert before is not None  # the schema requires it for this kind
    matches = drill.matching(wanted)
    in_time = [c for c in matches if c.t < before]
    if in_time:
        c = in_time[0]
        return True, f"You ran `{c.command}` at {fmt_clock(c.t)}, before {fmt_clock(before)}."
    if matches:
        c = matches[0]
        return (
            False,
            f"You ran `{c.command}` at {fmt_clock(c.t)}: {fmt_duration(c.t - before)} after {fmt_clock(before)}.",
        )
    return False, f"None of {_either(wanted)} before {fmt_clock(before)}." + _refused_note(drill, wanted)


def _refused_note(drill: _Drill, wanted: list[str]) -> str:
    """Why a wanted command the trainee did try is not there: the difficulty refused it."""
    refused = drill.matching(wanted, refused=True)
    return f" (`{refused[0].command}` was refused: this difficulty does not offer it.)" if refused else ""


def _what_it_cost(c: Command, cost: float | None) -> str:
    ran = f"`{c.command}` at {fmt_clock(c.t)}"
    if cost is None:
        return ran
    if cost > 0.5:
        return f"{ran}, which cost {usd(cost)}"
    return f"{ran} (removing it would not have lowered the score)"


def _avoid_command(drill: _Drill, wanted: list[str], _before: int | None) -> tuple[bool, str]:
    matches = drill.matching(wanted)
    if not matches:
        return True, f"You did not run {_either(wanted)}."
    return False, "You ran " + "; ".join(_what_it_cost(c, drill.cost_of.get(c.seq)) for c in matches) + "."


def _contained_before(drill: _Drill, _wanted: list[str], before: int | None) -> tuple[bool, str]:
    assert before is not None  # the schema requires it for this kind
    o = drill.outcome
    at = o.contained_at
    if not o.contained or at is None:
        return False, "Never contained: erroneous orders could still follow when the drill ended."
    if parse_clock(at) < before:
        return True, f"Contained at {at}, before {fmt_clock(before)}."
    return False, f"Contained at {at}: {fmt_duration(parse_clock(at) - before)} after {fmt_clock(before)}."


def _never_reopened(drill: _Drill, _wanted: list[str], _before: int | None) -> tuple[bool, str]:
    reopened = times_of(drill.phases, "re-opened")
    if not reopened:
        return True, "The incident never re-opened."
    return False, f"The incident re-opened at {fmt_clock(reopened[0])}."


CHECKS: dict[str, Check] = {
    "command_before": _command_before,
    "avoid_command": _avoid_command,
    "contained_before": _contained_before,
    "never_reopened": _never_reopened,
}


def review(
    sc: LoadedScenario,
    seed: int,
    commands: list[Command],
    outcome: Outcome,
    phases: list[tuple[int, str]],
    cost_of: dict[int, float],
) -> tuple[LessonReview, ...]:
    """commands: the trainee's; cost_of: seq -> what removing the command would have saved
    (positive: the command made things worse), where it is known."""
    subs = substitutions(sc, seed)
    # The drill's own figures a lesson may quote: one count of warning emails everywhere.
    figures = {"{emails_before_open}": str(outcome.emails_before_open)}

    def fill(text: str) -> str:
        return fill_placeholders(text, {**subs, **figures})

    drill = _Drill(commands, outcome, phases, cost_of)
    reviews = []
    for lesson in sc.spec.lessons:
        check = lesson.check
        ok, happened = CHECKS[check.kind](drill, [fill(c) for c in check.commands], check.before)
        reviews.append(
            LessonReview(
                lesson.id,
                fill(lesson.title),
                fill(lesson.expected),
                happened,
                fill(lesson.why),
                "keep" if ok else "change",
                fill(lesson.keep if ok else lesson.change),
            )
        )
    return tuple(reviews)
