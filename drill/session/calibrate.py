"""`drill calibrate`: run a scenario's historical play and compare its figures with the public
record the scenario cites (its [[calibration]] targets), at the scenario's seed and, to show the
model is calibrated on average and not at one lucky seed, as a mean over other seeds."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from drill.scenario.loader import LoadedScenario
from drill.scenario.schema import CalibrationTarget
from drill.session.plays import play_difficulties, run_play


@dataclass(frozen=True)
class Row:
    field: str
    record: float
    got: float | None  # at the scenario's own seed
    off_pct: float | None
    ok: bool  # the seed within tolerance_pct and, when seeds were run, the mean within its tolerance
    mean_over_seeds: float | None
    mean_off_pct: float | None
    mean_ok: bool | None  # None: no seeds were run
    source: str
    seed_ok: bool
    tolerance_pct: float
    mean_tolerance_pct: float


def off_pct(got: float | None, record: float) -> float | None:
    if got is None:
        return None
    return 0.0 if record == 0 else 100 * (got - record) / record


def within(got: float | None, record: float, tolerance_pct: float) -> bool:
    return got is not None and abs(got - record) <= tolerance_pct / 100 * record


def calibrate(scenario: LoadedScenario, seeds: int = 0) -> list[Row]:
    """One row per [[calibration]] target. Each (play, seed) runs once, whatever the targets share."""
    spec = scenario.spec
    cache: dict[tuple[str, int | None], dict] = {}

    def outcome(play: str, seed: int | None) -> dict:
        if (play, seed) not in cache:
            difficulty = spec.default_difficulty
            if difficulty not in play_difficulties(scenario, play):
                difficulty = play_difficulties(scenario, play)[0]
            cache[(play, seed)] = run_play(scenario, play, difficulty, seed).to_dict()
        return cache[(play, seed)]

    def row(t: CalibrationTarget) -> Row:
        got = outcome(t.play, None).get(t.field)
        mean_tolerance = t.mean_tolerance_pct or t.tolerance_pct
        mean = mean_ok = None
        if seeds:
            values = [v for v in (outcome(t.play, s).get(t.field) for s in range(1, seeds + 1)) if v is not None]
            mean = statistics.mean(values) if values else None
            mean_ok = within(mean, t.record, mean_tolerance)
        seed_ok = within(got, t.record, t.tolerance_pct)
        return Row(
            t.field,
            t.record,
            got,
            off_pct(got, t.record),
            seed_ok and mean_ok is not False,
            mean,
            off_pct(mean, t.record),
            mean_ok,
            t.source,
            seed_ok,
            t.tolerance_pct,
            mean_tolerance,
        )

    return [row(t) for t in spec.calibration]


def markdown(scenario: LoadedScenario, rows: list[Row], seeds: int) -> str:
    head = "| figure | record | scenario seed | off by | within |"
    if seeds:
        head += f" mean of seeds 1..{seeds} | off by | within |"
    head += " source |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]

    def fmt(v):
        if v is None:
            return "n/a"
        return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"

    def pct(v):
        return "n/a" if v is None else f"{v:+.1f}%"

    def verdict(ok, tolerance):
        return f"{'yes' if ok else 'NO'} ({tolerance:g}%)"

    for r in rows:
        cells = [r.field, fmt(r.record), fmt(r.got), pct(r.off_pct), verdict(r.seed_ok, r.tolerance_pct)]
        if seeds:
            cells += [fmt(r.mean_over_seeds), pct(r.mean_off_pct), verdict(r.mean_ok, r.mean_tolerance_pct)]
        cells.append(r.source)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Scenario {scenario.id}, seed {scenario.spec.seed}, play and difficulty per target "
        f"(default {scenario.spec.default_difficulty})."
    )
    return "\n".join(lines)
