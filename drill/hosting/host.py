"""A running drill as the facilitator's channel sees it: the hidden truth, and the door for the
facilitator's commands (which also steer the drill's clock)."""

from __future__ import annotations

from drill.commands import CommandError, parse_command
from drill.session.crew import CrewMember


class DrillHost:
    """Wraps the console's Drill (a session, its clock and the lock around both)."""

    def __init__(self, drill, team: str | None = None):
        self.drill = drill
        self.team = team

    def facilitate(self, text: str) -> str:
        cmd = parse_command(text)
        with self.drill.lock:
            sub = self.drill.session.submit(text, by="facilitator")
            if sub.accepted:
                clock = self.drill.clock
                # The facilitator's pause holds and the facilitator's speed stands: the trainee's
                # keys do not undo them (SimClock.trainee_refusal).
                if cmd.verb == "pause":
                    clock.pause()
                    clock.pause_held = True
                elif cmd.verb == "resume":
                    clock.pause_held = False
                    clock.resume()
                elif cmd.verb == "speed":
                    clock.set_speed(float(cmd.args[0]))
                    clock.speed_held = True
            return sub.message

    def crew_join(self, member: CrewMember) -> dict:
        """What a joining console needs to follow this drill: its journal (the console follows it
        as `drill watch --live` does), the clock it should run at, and the roles there are.
        CommandError if the role is not one of the scenario's."""
        with self.drill.lock:
            crew = self.drill.loaded.spec.crew
            if member.role not in crew.roles:
                raise CommandError(
                    f"role: {member.role!r} is not a role of this drill (roles: {', '.join(crew.roles)})"
                )
            if self.drill.owner is None:
                # The first to join makes this a crew drill: from now on the owner's commands are
                # journaled with a name too (those given alone before stay the trainee's).
                self.drill.owner = CrewMember.of(self.drill.owner_name or self.team or "owner", crew.owner)
            journal = self.drill.journal_path
            return {
                "journal": str(journal) if journal else None,
                "roles": list(crew.roles),
                "only": {verb: list(roles) for verb, roles in crew.only.items()},
                "owner": self.drill.owner.label if self.drill.owner else None,
                "team": self.team,
                **self._clock(),
            }

    def crew_command(self, member: CrewMember, text: str) -> dict:
        """A crew member's command, given as if typed at the owner's console (CommandError where
        it is malformed or the member's role may not give it)."""
        sub = self.drill.submit_as(member, text)
        return {"result": sub.message, "accepted": sub.accepted, **self._clock()}

    def crew_clock(self) -> dict:
        return self._clock()

    def _clock(self) -> dict:
        """Where the owner's clock is, so a crew member's console can keep up with it."""
        with self.drill.lock:
            clock = self.drill.clock
            return {"t": self.drill.session.now, "speed": clock.speed, "paused": clock.paused}

    def truth(self) -> dict:
        """What the trainee's screen may hide (the faulty servers, the true loss, the real
        phase), as the channel sends it."""
        with self.drill.lock:
            t = self.drill.session.truth()
            clock = self.drill.clock
            return {
                "scenario": t.scenario,
                "difficulty": t.difficulty,
                "seed": t.seed,
                "team": self.team,
                "clock": t.clock,
                "zone": t.zone,
                "phase": t.phase,
                "paused": clock.paused,
                "speed": clock.speed,
                "ranked": clock.ranked,
                "pause_held": clock.pause_held,
                "finished": t.finished,
                "faulty_servers": list(t.faulty_servers),
                "true_loss_usd": t.loss_usd,
                "collateral_usd": t.collateral_usd,
                "score_usd": t.score_usd,
                "grade": t.grade,
                "contained": t.contained,
                "contained_at": t.contained_at,
                "ended_by": t.ended_by,
                "commands": [
                    {"at": a.at, "by": a.who, "command": a.command, "status": a.status, "result": a.first_line}
                    for a in t.commands
                ],
                "injects": [{"id": i, "description": d} for i, d in t.injects],
            }
