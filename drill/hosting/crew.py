"""A crew member's side of a drill worked together: finding the drill, joining it, and the door
their commands go through to the console that owns the world.

The joining console holds no session: it follows the drill's journal (as `drill watch --live`
does) and sends each command over the owner's channel with the crew's join code, where
`Session.submit` journals it with the member's name and role, or refuses it for that role.
Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from drill.hosting.channel import ChannelError, crew_request, running_drills
from drill.session.crew import CrewMember

JOIN_TIMEOUT_S = 10.0
# A crew member's resolve simulates the rest of the morning in the owner's process first.
COMMAND_TIMEOUT_S = 120.0


class JoinError(Exception):
    """The drill cannot be joined (the message says why, in one line)."""


@dataclass(frozen=True)
class Joined:
    """What the owner told a member who joined: where the journal is and how the clock runs."""

    journal: str
    roles: tuple[str, ...]
    only: dict[str, tuple[str, ...]]
    owner: str | None
    t: int
    speed: float
    paused: bool


@dataclass(frozen=True)
class Reply:
    """The owner's answer to one command: its message, and where the owner's clock was then."""

    message: str
    accepted: bool
    t: int


@dataclass(frozen=True)
class OwnerClock:
    """The owner's clock as a crew member's console follows it."""

    t: int
    speed: float
    paused: bool


def find_drill(drill: str, served_by: str | None = None) -> dict:
    """A running drill open to a crew, by its id or its team's name (the newest, if a team has
    several); `served_by`: only drills started by that `drill serve`."""
    open_ = [d for d in running_drills() if d.get("crew") is True]
    if served_by is not None:
        open_ = [d for d in open_ if d.get("served_by") == served_by]
    match = [d for d in open_ if d["id"] == drill] or [d for d in open_ if d.get("team") == drill]
    if not match:
        raise JoinError(f"no running drill {drill!r} open to a crew here (drill facilitate lists the running drills)")
    return max(match, key=lambda d: str(d.get("started", "")))


@dataclass
class CrewDoor:
    """The channel to the owner's console, as one member of the crew."""

    port: int
    code: str = field(repr=False)
    member: CrewMember

    def join(self) -> Joined:
        reply = self._ask("join", JOIN_TIMEOUT_S)["join"]
        if not isinstance(reply, dict) or not isinstance(reply.get("journal"), str):
            raise JoinError("the drill keeps no journal to follow")
        return Joined(
            reply["journal"],
            tuple(reply.get("roles", ())),
            {verb: tuple(roles) for verb, roles in dict(reply.get("only", {})).items()},
            reply.get("owner"),
            int(reply.get("t", 0)),
            float(reply.get("speed", 1.0)),
            bool(reply.get("paused", False)),
        )

    def send(self, text: str) -> Reply:
        """Give a command; ChannelError with the owner's reason where it was not taken."""
        reply = self._ask("crew-command", COMMAND_TIMEOUT_S, command=text)
        return Reply(str(reply.get("result", "")), bool(reply.get("accepted", True)), int(reply.get("t", 0)))

    def clock(self) -> OwnerClock:
        """Where the owner's clock is now, how fast it runs and whether it is paused."""
        reply = self._ask("clock", JOIN_TIMEOUT_S)
        return OwnerClock(int(reply.get("t", 0)), float(reply.get("speed", 1.0)), bool(reply.get("paused", False)))

    def _ask(self, op: str, timeout: float, **fields) -> dict:
        try:
            return asyncio.run(
                crew_request(self.port, self.code, op, timeout, name=self.member.name, role=self.member.role, **fields)
            )
        except (OSError, TimeoutError) as exc:
            raise ChannelError(f"the drill's console did not answer ({exc.__class__.__name__})") from None
