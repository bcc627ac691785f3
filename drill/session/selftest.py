"""The blind-policy self-test: every blind policy against a scenario over many seeds, judged
against the scenario's `scoring.blind_best_grade`, and its best play at every seed for contrast.

Two difficulties that differ only in what the trainee sees (alerts, view, hints, the runbook) give
a blind policy the same outcome: a blind policy looks at nothing. Those runs are shared, so the
self-test costs one run per distinct set of mechanics, not one per difficulty.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from drill.scenario.loader import LoadedScenario, load
from drill.scenario.schema import PRESENTATION_FIELDS
from drill.session.blind import BlindPolicy, policies_for, policy_lines
from drill.session.headless import run_script
from drill.session.plays import plays_with_role, run_play

# What a blind policy's outcome cannot depend on: what the trainee sees or is told, and the
# controls (a policy is run only in the difficulties whose controls allow it).
_BLIND_INDEPENDENT = PRESENTATION_FIELDS | {"controls"}


@dataclass(frozen=True)
class Run:
    difficulty: str
    policy: str  # a blind policy's name, or "play:NAME"
    seed: int
    grade: str
    score_usd: float
    contained: bool


@dataclass(frozen=True)
class Verdict:
    difficulty: str
    policy: str
    ok: bool
    summary: str  # one line: the grades seen, and why it fails where it does


def selftest_seeds(sc: LoadedScenario, n: int) -> list[int]:
    """The scenario's own seed and n-1 variants."""
    return [sc.spec.seed, *range(1, n)]


def mechanics(sc: LoadedScenario, difficulty: str, policy: BlindPolicy) -> tuple:
    """What a blind policy's outcome can depend on in this difficulty."""
    d = sc.spec.difficulties[difficulty]
    fields = tuple(sorted((k, repr(v)) for k, v in d.model_dump().items() if k not in _BLIND_INDEPENDENT))
    durations = tuple(sc.spec.action_ms(difficulty, verb) for verb in (*policy.needs, "resolve"))
    return fields, durations


def _run(job: tuple[str, str, str, int]) -> tuple[str, int, str, float, bool]:
    path, difficulty, policy, seed = job
    sc = load(path)
    if policy.startswith("play:"):
        out = run_play(sc, policy[5:], difficulty, seed)
    else:
        p = next(p for p in policies_for(sc.spec, difficulty) if p.name == policy)
        out = run_script(sc, difficulty, seed, policy_lines(p, sc.spec, seed))
    return policy, seed, out.grade, out.score_usd, out.contained


def run_selftest(sc: LoadedScenario, seeds: list[int], workers: int = 2) -> list[Run]:
    path = str(sc.directory)
    shared: dict[tuple, list[str]] = {}  # (policy, mechanics) -> difficulties that share the runs
    for diff in sc.spec.difficulties:
        for p in policies_for(sc.spec, diff):
            shared.setdefault((p.name, mechanics(sc, diff, p)), []).append(diff)
    jobs = [(path, diffs[0], name, seed) for (name, _), diffs in shared.items() for seed in seeds]
    for diff in sc.spec.difficulties:
        jobs += [(path, diff, f"play:{name}", seed) for name in plays_with_role(sc, "best", diff) for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            done = list(pool.map(_run, jobs, chunksize=4))
    else:
        done = [_run(j) for j in jobs]
    runs = []
    for (_, diff, _, _), (policy, seed, grade, score, contained) in zip(jobs, done):
        targets = (
            [diff]
            if policy.startswith("play:")
            else next(ds for (name, _), ds in shared.items() if name == policy and diff in ds)
        )
        runs += [Run(d, policy, seed, grade, score, contained) for d in targets]
    return runs


def _rank(sc: LoadedScenario, grade: str) -> int:
    """0 for the best grade; a grade the scenario does not list (DNF) ranks last."""
    grades = [g.grade for g in sc.spec.scoring.grades]
    return grades.index(grade) if grade in grades else len(grades)


def grade_of_score(sc: LoadedScenario, score: float) -> str:
    return next((g.grade for g in sc.spec.scoring.grades if score <= g.max_score_usd), sc.spec.scoring.grades[-1].grade)


def judge(sc: LoadedScenario, runs: list[Run]) -> list[Verdict]:
    """A deterministic blind policy fails where any seed grades above the scenario's
    blind_best_grade; a randomised one where its mean score does (a lucky guess is luck). The
    best play fails where any seed grades no better than that."""
    cap = _rank(sc, sc.spec.scoring.blind_best_grade)
    random_names = {p.name for d in sc.spec.difficulties for p in policies_for(sc.spec, d) if p.randomised}
    groups: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.difficulty, r.policy), []).append(r)
    verdicts = []
    for (diff, policy), rs in sorted(groups.items()):
        grades = "".join(r.grade if len(r.grade) == 1 else "?" for r in sorted(rs, key=lambda r: r.seed))
        if policy.startswith("play:"):
            bad = [r for r in rs if _rank(sc, r.grade) >= cap]
            why = f"no better than {sc.spec.scoring.blind_best_grade} at seeds {[r.seed for r in bad]}" if bad else ""
        elif policy in random_names:
            mean = sum(r.score_usd for r in rs) / len(rs)
            bad = [rs[0]] if _rank(sc, grade_of_score(sc, mean)) < cap else []
            why = f"mean score ${mean:,.0f} grades {grade_of_score(sc, mean)}" if bad else ""
        else:
            bad = [r for r in rs if _rank(sc, r.grade) < cap]
            why = f"above {sc.spec.scoring.blind_best_grade} at seeds {[r.seed for r in bad]}" if bad else ""
        verdicts.append(Verdict(diff, policy, not bad, f"{grades}" + (f": {why}" if why else "")))
    return verdicts
