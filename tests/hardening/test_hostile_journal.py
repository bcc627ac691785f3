"""Issue 12 part 5 (replay checks every record it reads) and part 4 (a debrief of an end record
with a hostile outcome is one line): changed end times and reasons, duplicate sequence numbers,
extra end records and records after the end are divergences, never "reproduced exactly"."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from drill.session.headless import run_script
from drill.session.journal import JournalError, read
from drill.session.replay import replay
from drill.session.script import parse_script
from drill.timefmt import fmt_clock
from tests.hardening import support
from tests.inprocess import drill_in_process


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny drill with three commands (one refused), run to its end."""
    tmp = tmp_path_factory.mktemp("hostile-journal")
    sid = support.scenario_ids()[0]
    sc = support.tiny_scenario(sid, tmp / "tiny")
    start = sc.spec.clock.start
    script = "".join(f"{fmt_clock(start + 1000 * i)} hint\n" for i in range(3))
    p = tmp / "base.jsonl"
    run_script(sc, None, None, parse_script(script), p)
    recs = [json.loads(ln) for ln in p.read_text().splitlines()]
    assert replay(p).ok
    return tmp, recs


def _write(tmp, recs, name="j.jsonl", extra: str = ""):
    p = tmp / name
    p.write_text("\n".join(json.dumps(r) for r in recs) + "\n" + extra)
    return p


def _diverges(p, *needles):
    report = replay(p)
    assert not report.ok and report.divergence, report
    for n in needles:
        assert n in report.divergence, report.divergence


def _end(recs):
    return next(i for i, r in enumerate(recs) if r["type"] == "end")


def test_a_changed_end_time_diverges(base, tmp_path):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    recs[_end(recs)]["t"] -= 1  # a millisecond: the outcome (to the second) could not tell
    _diverges(_write(tmp_path, recs), "end.t")


def test_a_changed_end_reason_diverges(base, tmp_path):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    recs[_end(recs)]["reason"] = "resolve"
    _diverges(_write(tmp_path, recs), "end.reason")


def test_duplicate_sequence_numbers_diverge(base, tmp_path):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    cmds = [r for r in recs if r["type"] == "command"]
    cmds[1]["seq"] = cmds[0]["seq"]
    _diverges(_write(tmp_path, recs), "seq")


def test_a_duplicated_result_record_diverges(base, tmp_path):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    i = next(i for i, r in enumerate(recs) if r["type"] == "result")
    recs.insert(i, recs[i])
    _diverges(_write(tmp_path, recs), "journaled twice")


def test_a_million_bogus_end_records_diverge(base, tmp_path):
    _, recs = base
    bogus = json.dumps({"type": "end", "t": 0, "reason": "x", "outcome": {}}, separators=(",", ":")) + "\n"
    p = _write(tmp_path, recs, extra=bogus * 1_000_000)
    assert p.stat().st_size < 50_000_000
    _diverges(p, "a second end record", "999,999 more")


def test_a_record_after_the_end_diverges(base, tmp_path):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    recs.append(dict(next(r for r in recs if r["type"] == "command"), seq=99))
    _diverges(_write(tmp_path, recs), "after the end")


@pytest.mark.parametrize("outcome, field", [({}, "outcome.scenario"), ("score", "end"),
                                            ({"score_usd": "lots"}, "outcome.score_usd"),
                                            ({"ended_at": "noon"}, "outcome.ended_at"),
                                            ({"phases": [{"at": 5}]}, "outcome.phases")])
def test_an_end_record_with_a_hostile_outcome_is_a_journal_error(base, tmp_path, outcome, field):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    end = recs[_end(recs)]
    end["outcome"] = outcome if not isinstance(outcome, dict) or not outcome else {**end["outcome"], **outcome}
    with pytest.raises(JournalError) as err:
        read(_write(tmp_path, recs))
    assert field in str(err.value) and "\n" not in str(err.value)


HOSTILE_OUTCOMES = [{}, {"score_usd": "lots"}]


@pytest.mark.parametrize("outcome", HOSTILE_OUTCOMES)
def test_debrief_of_a_hostile_end_outcome_is_one_line(base, tmp_path, outcome):
    _, recs = base
    recs = json.loads(json.dumps(recs))
    end = recs[_end(recs)]
    end["outcome"] = outcome if not outcome else {**end["outcome"], **outcome}
    p = _write(tmp_path, recs)
    args = ["debrief", str(p), "--format", "json", "--no-cache"]
    if outcome == HOSTILE_OUTCOMES[0]:  # a real process: the exit code a shell sees
        proc = subprocess.run([sys.executable, "-m", "drill", *args], capture_output=True, text=True, cwd=support.ROOT,
                              timeout=300, stdin=subprocess.DEVNULL)
    else:  # only what it printed: through main in this process
        proc = drill_in_process(*args)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-800:]
    assert "outcome" in lines[0]


@pytest.mark.parametrize("field", ["seq", "t"])
def test_a_boolean_where_a_command_needs_an_integer_is_refused(base, tmp_path, field):
    # JSON `true` reads as the integer 1 in Python: a command numbered `true` replayed as
    # "reproduced exactly" before the reader refused it.
    _, recs = base
    recs = json.loads(json.dumps(recs))
    next(r for r in recs if r["type"] == "command")[field] = True
    with pytest.raises(JournalError, match="command: needs seq, t"):
        read(_write(tmp_path, recs))
