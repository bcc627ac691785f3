"""A running drill as the facilitator's channel sees it: the hidden truth, and the door for the
facilitator's commands (which also steer the drill's clock)."""

from __future__ import annotations

from drill.commands import parse_command


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
                    {"at": a.at, "by": a.by, "command": a.command, "status": a.status, "result": a.first_line}
                    for a in t.commands
                ],
                "injects": [{"id": i, "description": d} for i, d in t.injects],
            }
