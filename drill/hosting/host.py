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
        """What the trainee's screen may hide: the faulty servers and the true loss."""
        with self.drill.lock:
            session = self.drill.session
            world = session.world
            outcome = session.outcome()
            spec = session.scenario.spec
            return {
                "scenario": spec.id, "difficulty": session.difficulty, "seed": session.seed, "team": self.team,
                "clock": session.clock, "zone": spec.clock.zone, "phase": session.snapshot().phase,
                "paused": self.drill.clock.paused, "speed": self.drill.clock.speed,
                "ranked": self.drill.clock.ranked, "pause_held": self.drill.clock.pause_held,
                "finished": session.finished,
                "faulty_servers": list(world.missed),
                "true_loss_usd": round(world.loss_usd, 2),
                "collateral_usd": outcome.collateral_usd,
                "score_usd": outcome.score_usd,
                "grade": outcome.grade,
                "contained": outcome.contained,
                "contained_at": outcome.contained_at,
                "ended_by": outcome.ended_by,
                "commands": [{"at": a["at"], "by": a["by"], "command": a["command"], "status": a["status"],
                              "result": a["result"].splitlines()[0] if a["result"] else ""} for a in outcome.actions],
                "injects": [{"id": i.id, "description": i.description} for i in spec.injects],
            }
