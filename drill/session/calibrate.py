"""`drill calibrate`: run a scenario's historical play and compare its figures with the public
record the scenario cites (its [[calibration]] targets), at the scenario's seed and, to show the
model is calibrated on average and not at one lucky seed, as a mean over other seeds."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from drill.scenario.loader import LoadedScenario
from drill.session.plays import play_difficulties, run_play


@dataclass(frozen=True)
class Row:
    field: str
    record: float
    got: float | None
    off_pct: float | None
    ok: bool
    mean_over_seeds: float | None
    source: str


def calibrate(scenario: LoadedScenario, seeds: int = 0) -> list[Row]:
    spec = scenario.spec
    rows = []
    cache: dict[tuple[str, int | None], dict] = {}

    def outcome(play: str, seed: int | None) -> dict:
        if (play, seed) not in cache:
            difficulty = spec.default_difficulty
            if difficulty not in play_difficulties(scenario, play):
                difficulty = play_difficulties(scenario, play)[0]
            cache[(play, seed)] = run_play(scenario, play, difficulty, seed).to_dict()
        return cache[(play, seed)]

    for t in spec.calibration:
        got = outcome(t.play, None).get(t.field)
        off = None if got is None else (0.0 if t.record == 0 else 100 * (got - t.record) / t.record)
        ok = got is not None and abs(got - t.record) <= t.tolerance_pct / 100 * t.record
        mean = None
        if seeds:
            values = [outcome(t.play, s).get(t.field) for s in range(1, seeds + 1)]
            values = [v for v in values if v is not None]
            mean = statistics.mean(values) if values else None
        rows.append(Row(t.field, t.record, got, off, ok, mean, t.source))
    return rows


def markdown(scenario: LoadedScenario, rows: list[Row], seeds: int) -> str:
    head = "| figure | record | scenario seed | off by | within | source |"
    if seeds:
        head = head.replace(" source |", f" mean of seeds 1..{seeds} | source |")
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]

    def fmt(v):
        if v is None:
            return "n/a"
        return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"

    for r in rows:
        cells = [r.field, fmt(r.record), fmt(r.got), "n/a" if r.off_pct is None else f"{r.off_pct:+.1f}%",
                 "yes" if r.ok else "NO"]
        if seeds:
            cells.append(fmt(r.mean_over_seeds))
        cells.append(r.source)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Scenario {scenario.id}, seed {scenario.spec.seed}, play and difficulty per target "
                 f"(default {scenario.spec.default_difficulty}).")
    return "\n".join(lines)
