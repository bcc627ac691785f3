"""Fuzzing the scenario loader: every bundled scenario.toml (and its squeezed 'tiny' variant)
mutated in its values, keys, text and bytes. The loader returns a scenario or raises
ScenarioError whose every problem names the file and a field or line; nothing else escapes.
A mutant the loader accepts must then run: a session on it, a few commands, a snapshot, the
outcome, with no exception at all (a valid file must never crash the engine)."""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.commands import CommandError
from drill.scenario import ScenarioError, load
from drill.scenario.loader import SCENARIO_FILE
from drill.session import Session
from tests.hardening import support
from tests.hardening.known_bugs import known, known_text
from tests.hardening.strategies import scenario_files

SETTINGS = settings(max_examples=support.FUZZ_EXAMPLES, deadline=None, derandomize=not support.RANDOM,
                    suppress_health_check=list(HealthCheck), database=None)
WORK = Path(tempfile.mkdtemp(prefix="drill-fuzz-scenario-"))

atexit.register(shutil.rmtree, WORK, True)


def exercise_engine(sc, rng: random.Random, tiny: bool) -> None:
    """Run a loaded scenario: every difficulty for a tiny base, one for a full one (cost)."""
    spec = sc.spec
    diffs = list(spec.difficulties) if tiny else [rng.choice(list(spec.difficulties))]
    for diff in diffs:
        seed = support.random_seed(rng, spec)
        s = Session(sc, diff, seed)
        stop = spec.clock.end if tiny else min(spec.clock.end, max(s.now, spec.clock.open) + 60_000)
        times = sorted(rng.randint(s.now, stop) for _ in range(rng.randint(0, 6)))
        for t, cmd in zip(times, support.random_commands(rng, spec, len(times), s.check)):
            s.advance_to(t)
            try:
                support.submit(s, cmd)
            except CommandError:
                pass  # a mutated vocabulary (no flags, say) may refuse a generated line: documented
        s.advance_to(stop)
        snap = s.snapshot()
        assert snap.now == s.now
        o = s.outcome()
        assert o.loss_usd >= 0 and o.collateral_usd >= 0
        assert o.score_usd == round(o.loss_usd + o.collateral_usd, 2)
        s.close()


def check_one(sid: str, base: str, how: str, content: bytes, rng_seed: int) -> str:
    d = WORK / "case"
    support.write_scenario(sid, None, d, text=content)
    toml = d / SCENARIO_FILE
    try:
        sc = load(str(d))
    except ScenarioError as exc:
        assert exc.problems, how
        issues = {support.problem_issue(p, toml) for p in exc.problems} - {None}
        if issues and all(known_text(i) for i in issues):
            return f"known:{sorted(issues)[0]}"
        assert not issues, f"{issues}: {exc!s:.300}"
        return "ScenarioError"
    except Exception as exc:  # noqa: BLE001 - that is the point: nothing else may escape
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise AssertionError(f"loader raised {type(exc).__name__}: {exc!s:.300} ({how})") from exc
    try:
        exercise_engine(sc, random.Random(rng_seed), tiny=(base == "tiny"))
    except Exception as exc:  # noqa: BLE001
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise AssertionError(f"a scenario the loader accepted crashed the engine: {type(exc).__name__}: {exc!s:.300} ({how})") from exc
    return "loaded+ran"


@SETTINGS
@given(case=scenario_files(), rng_seed=st.integers(0, 2**32))
def test_fuzz_scenario_loader(case, rng_seed):
    sid, base, how, content = case
    support.count("scenario loader", check_one(sid, base, how, content, rng_seed))


def test_unmutated_bases_load_and_run():
    """The fuzzer's starting points are sound: each bundled file and its tiny variant load and run."""
    for sid in support.scenario_ids():
        for base, data in (("full", support.toml_data(sid)), ("tiny", support.tiny_data(sid))):
            assert check_one(sid, base, "unmutated", support.dumps(data).encode(), 1) == "loaded+ran"
