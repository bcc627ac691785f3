"""The one command vocabulary: what a trainee types, what an actions file holds, what the journal
records and what a facilitator injects are all `Command` objects parsed here.

Parsing checks only the shape of a line (a known verb, the right number of arguments).
Whether the arguments name real servers, flags or alerts, and whether the difficulty offers
the control, is the session's business: it knows the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass


class CommandError(ValueError):
    """A line that is not a command of the vocabulary (unknown verb, wrong arguments)."""


@dataclass(frozen=True)
class Arg:
    kind: str  # "server", "flag", "alert", "percent", "inject", "speed" or "text" (the rest of the line)
    optional: bool = False


@dataclass(frozen=True)
class Verb:
    name: str
    args: tuple[Arg, ...]
    summary: str
    # Diagnostics only read state; the debrief times the first of them.
    diagnostic: bool = False
    # Who may issue it: the trainee, or the facilitator running the exercise.
    role: str = "trainee"

    @property
    def usage(self) -> str:
        parts = [self.name]
        for a in self.args:
            parts.append(f"[{a.kind.upper()}]" if a.optional else a.kind.upper())
        return " ".join(parts)


# The clock's speeds, in sim seconds per wall second: the console's +/- steps, the facilitator's
# choices and the values the `speed` verb takes. A drill started from the command line may ask for
# any speed up to MAX_SPEED (a long soak at full tilt); the console then steps from the nearest.
SPEEDS = (1, 2, 5, 10, 30, 60)
MAX_SPEED = 600

_SERVER = Arg("server")
VERBS: dict[str, Verb] = {
    v.name: v
    for v in (
        Verb("inspect", (_SERVER,), "show the release, flags, state and flow of one server", True),
        Verb("logs", (_SERVER,), "read the recent log lines of one server", True),
        Verb("diff-deploy", (), "compare the release each server runs with the intended one", True),
        Verb("stop", (_SERVER,), "take one server out of service"),
        Verb("stop-all", (), "take every server out of service"),
        Verb("start", (_SERVER,), "put a stopped server back in service"),
        Verb("start-all", (), "put every server back in service (and reconnect after a kill switch)"),
        Verb("deploy", (_SERVER,), "install the current release on one server"),
        Verb("rollback", (), "revert every server to the previous release"),
        Verb("disable-flag", (Arg("flag"),), "stop setting a feature flag on new orders"),
        Verb("enable-flag", (Arg("flag"),), "set a feature flag on new orders again"),
        Verb("cancel-open", (Arg("server", optional=True),), "cancel open parent orders (one server or all)"),
        Verb(
            "offset",
            (Arg("server", optional=True),),
            "take out your own open orders by trading against them (works when cancels do not)",
        ),
        Verb("rollout", (Arg("percent"),), "put the current release on this percentage of the fleet"),
        Verb("kill-switch", (), "disconnect the firm from every market at once"),
        Verb("ack", (Arg("alert"),), "acknowledge an alert"),
        Verb("hint", (), "ask the facilitator for a hint"),
        Verb("resolve", (), "declare the incident over and end the drill"),
        # The facilitator's verbs: journaled like the trainee's, so replays reproduce them.
        Verb("inject", (Arg("inject"),), "inject an event from the scenario's catalogue", role="facilitator"),
        Verb("push-hint", (Arg("text"),), "send the trainee a hint", role="facilitator"),
        Verb("pause", (), "pause the drill's clock", role="facilitator"),
        Verb("resume", (), "resume the drill's clock", role="facilitator"),
        Verb(
            "speed",
            (Arg("speed"),),
            f"set the clock's speed ({', '.join(map(str, SPEEDS[:-1]))} or {SPEEDS[-1]})",
            role="facilitator",
        ),
    )
}

TRAINEE_VERBS = [v for v in VERBS if VERBS[v].role == "trainee"]


@dataclass(frozen=True)
class Command:
    verb: str
    args: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join((self.verb, *self.args))

    def __str__(self) -> str:
        return self.text


def parse_command(line: str) -> Command:
    words = line.split()
    if not words:
        raise CommandError("empty command")
    verb_name = words[0].lower()
    verb = VERBS.get(verb_name)
    if verb is None:
        raise CommandError(f"unknown command {words[0]!r} (try: {', '.join(TRAINEE_VERBS)})")
    args = words[1:]
    if verb.args and verb.args[-1].kind == "text":
        # Free text takes the rest of the line, spaces and all.
        head = len(verb.args) - 1
        rest = line.strip().split(None, head + 1)[head + 1 :] if len(args) > head else []
        args = args[:head] + rest
    required = sum(1 for a in verb.args if not a.optional)
    if not required <= len(args) <= len(verb.args):
        raise CommandError(f"usage: {verb.usage}")
    # Server and flag names are case-insensitive to type; the scenario's spelling is canonical.
    return Command(verb.name, tuple(args))
