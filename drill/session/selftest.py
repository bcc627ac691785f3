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
    shared = _shared_runs(sc)
    jobs = _jobs(sc, seeds, shared)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            done = list(pool.map(_run, jobs, chunksize=4))
    else:
        done = [_run(j) for j in jobs]
    runs = []
    for (_, diff, _, _), (policy, seed, grade, score, contained) in zip(jobs, done):
        runs += [Run(d, policy, seed, grade, score, contained) for d in _judged_for(policy, diff, shared)]
    return runs


def _shared_runs(sc: LoadedScenario) -> dict[tuple, list[str]]:
    """(policy, mechanics) -> the difficulties whose runs of that blind policy are the same runs:
    a blind policy looks at nothing, so difficulties that differ only in what they show share them."""
    shared: dict[tuple, list[str]] = {}
    for diff in sc.spec.difficulties:
        for p in policies_for(sc.spec, diff):
            shared.setdefault((p.name, mechanics(sc, diff, p)), []).append(diff)
    return shared


def _jobs(sc: LoadedScenario, seeds: list[int], shared: dict[tuple, list[str]]) -> list[tuple[str, str, str, int]]:
    """Each shared blind run once per seed, and each difficulty's best plays per seed."""
    path = str(sc.directory)
    jobs = [(path, diffs[0], name, seed) for (name, _), diffs in shared.items() for seed in seeds]
    for diff in sc.spec.difficulties:
        jobs += [(path, diff, f"play:{name}", seed) for name in plays_with_role(sc, "best", diff) for seed in seeds]
    return jobs


def _judged_for(policy: str, diff: str, shared: dict[tuple, list[str]]) -> list[str]:
    """The difficulties a run counts for: a play's own; a blind policy's, every one sharing it."""
    if policy.startswith("play:"):
        return [diff]
    return next(ds for (name, _), ds in shared.items() if name == policy and diff in ds)


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
    random_names = {p.name for d in sc.spec.difficulties for p in policies_for(sc.spec, d) if p.randomised}
    groups: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.difficulty, r.policy), []).append(r)
    return [_verdict(sc, diff, policy, rs, random_names) for (diff, policy), rs in sorted(groups.items())]


def _verdict(sc: LoadedScenario, diff: str, policy: str, rs: list[Run], random_names: set[str]) -> Verdict:
    grades = "".join(r.grade if len(r.grade) == 1 else "?" for r in sorted(rs, key=lambda r: r.seed))
    if policy.startswith("play:"):
        why = _best_play_problem(sc, rs)
    elif policy in random_names:
        why = _randomised_problem(sc, rs)
    else:
        why = _blind_problem(sc, rs)
    return Verdict(diff, policy, not why, f"{grades}" + (f": {why}" if why else ""))


def _cap(sc: LoadedScenario) -> int:
    return _rank(sc, sc.spec.scoring.blind_best_grade)


def _best_play_problem(sc: LoadedScenario, rs: list[Run]) -> str:
    bad = [r.seed for r in rs if _rank(sc, r.grade) >= _cap(sc)]
    return f"no better than {sc.spec.scoring.blind_best_grade} at seeds {bad}" if bad else ""


def _randomised_problem(sc: LoadedScenario, rs: list[Run]) -> str:
    mean = sum(r.score_usd for r in rs) / len(rs)
    grade = grade_of_score(sc, mean)
    return f"mean score ${mean:,.0f} grades {grade}" if _rank(sc, grade) < _cap(sc) else ""


def _blind_problem(sc: LoadedScenario, rs: list[Run]) -> str:
    bad = [r.seed for r in rs if _rank(sc, r.grade) < _cap(sc)]
    return f"above {sc.spec.scoring.blind_best_grade} at seeds {bad}" if bad else ""
