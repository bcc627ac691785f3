"""A second browser tab of a team whose drill is already live joins that drill as one of its crew,
instead of starting a second drill of its own (issue 16, part 3).

Every served drill is open to its team's crew: its crew code is derived from serve's key and the
drill's id (drill.hosting.hosted.crew_code_for), so another tab of the same `drill serve`, which
was handed the same key, can derive it; a person gets that far only through the picker, that is
with the team's join code where the facilitator created teams (drill.gameday.teams). The tab
asks for a name and a role, joins over the owning tab's channel, and shows a crew console that
follows the drill's journal and sends commands to the owner (drill.tui.screens.crew).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from drill.hosting.channel import ChannelError
from drill.hosting.crew import CrewDoor, Joined, JoinError, find_drill
from drill.session.crew import CrewMember

if TYPE_CHECKING:
    from drill.session.rewind import Rewinder
    from drill.tui.app import DrillApp


def live_drill_of(team: str | None, served_by: str | None) -> dict | None:
    """The team's drill another tab of this serve is playing now, or None."""
    if not team or served_by is None:
        return None
    try:
        entry = find_drill(team, served_by)
    except JoinError:
        return None
    return entry if entry.get("pid") != os.getpid() else None


def join_if_live(app: DrillApp, team: str | None, served_by: str | None, crew_code_of: Callable[[str], str]) -> bool:
    """If `team`'s drill is live in another tab of this serve, ask for a name and a role and join
    it; True when that is what happens (the caller does not start a drill then)."""
    entry = live_drill_of(team, served_by)
    if entry is None:
        return False
    from drill.scenario import load
    from drill.tui.screens.crew import JoinScreen

    crew = load(str(entry["scenario"])).spec.crew
    title = str(entry.get("title") or entry["scenario"])
    code = crew_code_of(entry["id"])

    def chosen(member: CrewMember | None) -> None:
        if member is None:
            app.call_later(app.on_mount)  # back to the picker
            return
        door = CrewDoor(entry["port"], code, member)
        app.notify(f"Joining as {member.label}…", timeout=5, markup=False)
        app.run_worker(lambda: _joining(app, door), thread=True, exit_on_error=False)

    only = {verb: list(roles) for verb, roles in crew.only.items()}
    app.push_screen(JoinScreen(title, tuple(crew.roles), only), chosen)
    return True


def _joining(app: DrillApp, door: CrewDoor) -> None:
    """On a worker thread: the join, and the journal's re-simulation started (seconds)."""
    from drill.session.rewind import Rewinder, RewindError

    try:
        joined = door.join()
        source = Rewinder(joined.journal, live=True)
    except (ChannelError, JoinError, RewindError, OSError) as exc:
        app.call_from_thread(_failed, app, str(exc))
        return
    app.call_from_thread(_joined, app, door, joined, source)


def _failed(app: DrillApp, why: str) -> None:
    app.notify(why, title="Could not join the drill", severity="error", timeout=10, markup=False)
    app.on_mount()  # back to the picker


def _joined(app: DrillApp, door: CrewDoor, joined: Joined, source: Rewinder) -> None:
    from drill.tui.screens.crew import CrewScreen
    from drill.tui.screens.watch import Recording

    recording = Recording(source, speed=joined.speed, paused=joined.paused, live=True)

    def left(_result: object) -> None:
        source.close()
        app.exit(0)

    app.push_screen(CrewScreen(recording, door, joined, blink=app.blink), left)
