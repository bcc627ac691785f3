"""Fuzzing the journal reader and replay: real journals (finished, cut short, refused commands,
every difficulty of every bundled scenario, squeezed to a few minutes so thousands replay fast)
mutated record by record, field by field and byte by byte. journal.read returns a Journal or
raises JournalError, one line naming the file and the line; replay returns a report or raises
one of the documented JournalError / ScenarioError / SessionError; nothing else escapes."""

from __future__ import annotations

import atexit
import functools
import json
import random
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.scenario import ScenarioError
from drill.session.headless import run_script
from drill.session.journal import JournalError, read
from drill.session.replay import ReplayReport, replay
from drill.session.script import parse_script
from drill.session.session import SessionError
from tests.hardening import support
from tests.hardening.known_bugs import known, known_text
from tests.hardening.strategies import mutate_journal

SETTINGS = settings(max_examples=support.FUZZ_EXAMPLES, deadline=None, derandomize=not support.RANDOM,
                    suppress_health_check=list(HealthCheck), database=None)
WORK = Path(tempfile.mkdtemp(prefix="drill-fuzz-journal-"))

atexit.register(shutil.rmtree, WORK, True)


@functools.lru_cache(maxsize=None)
def base_journals() -> list[list[dict]]:
    """Journals as records: per bundled scenario and difficulty, a random play run to its end,
    and the same cut short after its second command (no end record, as a killed drill leaves)."""
    out = []
    rng = random.Random(support.SEED)
    for sid, diff in support.scenario_cases():
        sc = support.tiny_scenario(sid, WORK / f"tiny-{sid}")
        path = WORK / f"base-{sid}-{diff}.jsonl"
        script = support.random_script(rng, sc.spec, 6, support.checker(sc))
        run_script(sc, diff, support.random_seed(rng, sc.spec), parse_script(script), path)
        recs = [json.loads(ln) for ln in path.read_text().splitlines()]
        out.append(recs)
        cmds = [i for i, r in enumerate(recs) if r["type"] == "command"]
        cut = cmds[1] + 1 if len(cmds) > 1 else len(recs) - 1
        out.append([r for r in recs[:cut] if r["type"] != "end"])
    return out


def check_journal(content: bytes) -> str:
    path = WORK / "fuzz.jsonl"
    path.write_bytes(content)
    name = str(path)
    try:
        j = read(path)
    except JournalError as exc:
        msg = str(exc)
        assert msg.startswith(name + ": "), msg
        assert re.match(re.escape(name) + r": (file|line \d+): ", msg), msg
        assert support.clean_line(msg), repr(msg)
        return "JournalError"
    except Exception as exc:  # noqa: BLE001
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise AssertionError(f"journal.read raised {type(exc).__name__}: {exc!s:.300}") from exc
    assert isinstance(j.header, dict)
    try:
        report = replay(path)
    except (JournalError, SessionError) as exc:
        assert support.clean_line(str(exc)), repr(str(exc))
        return type(exc).__name__
    except ScenarioError as exc:
        return "ScenarioError"
    except Exception as exc:  # noqa: BLE001
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise AssertionError(f"replay raised {type(exc).__name__}: {exc!s:.300}") from exc
    assert isinstance(report, ReplayReport)
    assert report.ok == (report.divergence is None)
    if report.divergence is not None and not support.clean_line(report.divergence):
        if known_text("divergence-control-chars"):
            return "known:divergence-control-chars"
        raise AssertionError(f"divergence is not one clean line: {report.divergence!r}")
    json.dumps(report.to_dict())  # the CLI prints it as JSON
    return "replayed-ok" if report.ok else "replayed-diverged"


@SETTINGS
@given(data=st.data())
def test_fuzz_journal_reader_and_replay(data):
    base = data.draw(st.sampled_from(base_journals()))
    content = data.draw(mutate_journal(base))
    support.count("journal reader", check_journal(content))


def test_unmutated_journals_replay_exactly():
    for recs in base_journals():
        content = ("\n".join(json.dumps(r) for r in recs) + "\n").encode()
        assert check_journal(content) == "replayed-ok"
