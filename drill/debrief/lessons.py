"""The after-action review: each of the scenario's lessons matched to what the trainee did."""

from __future__ import annotations

from drill.debrief.fmt import usd
from drill.debrief.model import LessonReview
from drill.scenario.loader import LoadedScenario
from drill.session.plays import substitutions
from drill.sim.world import fill_placeholders
from drill.timefmt import fmt_clock, fmt_duration, parse_clock


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _either(items: list[str]) -> str:
    items = [f"`{i}`" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def review(
    sc: LoadedScenario,
    seed: int,
    commands: list[dict],
    outcome: dict,
    phases: list[tuple[int, str]],
    cost_of: dict[int, float],
) -> tuple[LessonReview, ...]:
    """commands: the trainee's (seq, t, command, status); cost_of: seq -> what removing the command
    would have saved (positive: the command made things worse), where it is known."""
    subs = substitutions(sc, seed)
    # The drill's own figures a lesson may quote: one count of warning emails everywhere.
    figures = {"{emails_before_open}": str(outcome.get("emails_before_open", "the"))}

    def fill(text: str) -> str:
        return fill_placeholders(text, {**subs, **figures})

    accepted = [c for c in commands if c["status"] != "refused"]
    reviews = []
    for lesson in sc.spec.lessons:
        check = lesson.check
        wanted = [fill(c) for c in check.commands]
        wanted_n = {_norm(w) for w in wanted}
        matches = [c for c in accepted if _norm(c["command"]) in wanted_n]
        if check.kind == "command_before":
            before = check.before
            assert before is not None  # the schema requires it for this kind
            in_time = [c for c in matches if c["t"] < before]
            ok = bool(in_time)
            if in_time:
                c = in_time[0]
                happened = f"You ran `{c['command']}` at {fmt_clock(c['t'])}, before {fmt_clock(before)}."
            elif matches:
                c = matches[0]
                happened = (
                    f"You ran `{c['command']}` at {fmt_clock(c['t'])}: "
                    f"{fmt_duration(c['t'] - before)} after {fmt_clock(before)}."
                )
            else:
                refused = [c for c in commands if c["status"] == "refused" and _norm(c["command"]) in wanted_n]
                happened = f"None of {_either(wanted)} before {fmt_clock(before)}."
                if refused:
                    happened += f" (`{refused[0]['command']}` was refused: this difficulty does not offer it.)"
        elif check.kind == "avoid_command":
            ok = not matches
            if ok:
                happened = f"You did not run {_either(wanted)}."
            else:
                parts = []
                for c in matches:
                    cost = cost_of.get(c["seq"])
                    if cost is None:
                        parts.append(f"`{c['command']}` at {fmt_clock(c['t'])}")
                    elif cost > 0.5:
                        parts.append(f"`{c['command']}` at {fmt_clock(c['t'])}, which cost {usd(cost)}")
                    else:
                        parts.append(
                            f"`{c['command']}` at {fmt_clock(c['t'])} (removing it would not have lowered the score)"
                        )
                happened = "You ran " + "; ".join(parts) + "."
        elif check.kind == "contained_before":
            before = check.before
            assert before is not None  # the schema requires it for this kind
            at = outcome.get("contained_at")
            ok = bool(outcome.get("contained")) and at is not None and parse_clock(at) < before
            if not outcome.get("contained"):
                happened = "Never contained: erroneous orders could still follow when the drill ended."
            elif ok:
                happened = f"Contained at {at}, before {fmt_clock(before)}."
            else:
                happened = f"Contained at {at}: {fmt_duration(parse_clock(at) - before)} after {fmt_clock(before)}."
        else:  # never_reopened
            reopened = [t for t, p in phases if p == "re-opened"]
            ok = not reopened
            happened = "The incident never re-opened." if ok else f"The incident re-opened at {fmt_clock(reopened[0])}."
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
