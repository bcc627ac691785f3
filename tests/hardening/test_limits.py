"""Limits: inputs above sane sizes are refused before any work starts, with one line naming the
file. What the code already bounds is tested here; the gaps found are strict xfails in
test_known_bugs.py (special files that defeat the size checks, work a valid scenario can ask for,
command counts)."""

from __future__ import annotations

import copy
import time

import pytest

from drill.scenario import ScenarioError, bundled_ids, load
from drill.scenario.loader import MAX_FILE_BYTES
from drill.session.journal import MAX_JOURNAL_BYTES, JournalError, read
from drill.session.script import MAX_SCRIPT_BYTES, ScriptError, read_script
from tests.hardening import support


def test_every_bundled_scenario_loads():
    """The hardening suite skips a bundled scenario that does not load (one being edited); this
    test makes sure that is never silent."""
    for sid in bundled_ids():
        load(sid)


def _sparse(path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)  # no data written: a size check that reads first would take ages


@pytest.mark.parametrize("which", ["scenario.toml", "briefing", "runbook"])
def test_oversized_scenario_files_are_refused_before_reading(which, tmp_path):
    sid = support.scenario_ids()[0]
    d = support.write_scenario(sid, support.toml_data(sid), tmp_path / "big")
    spec = load(str(d)).spec
    name = {"scenario.toml": "scenario.toml", "briefing": spec.briefing, "runbook": spec.runbook}[which]
    _sparse(d / name, 8 * 2**30)  # 8 GiB, sparse
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert time.perf_counter() - t0 < 2
    (p,) = err.value.problems
    assert p.file == str(d / name) and "larger than" in p.message


def test_scenario_just_under_the_size_limit_still_loads(tmp_path):
    sid = support.scenario_ids()[0]
    text = support.dumps(support.toml_data(sid))
    pad = MAX_FILE_BYTES - len(text.encode()) - 1
    text += ("#" + "x" * 98 + "\n") * (pad // 100) + "#" * (pad % 100 - 1) + "\n"
    d = support.write_scenario(sid, None, tmp_path / "fat", text=text)
    assert (d / "scenario.toml").stat().st_size <= MAX_FILE_BYTES
    assert load(str(d)).id == support.scenario(sid).id


def test_oversized_actions_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.actions"
    _sparse(p, MAX_SCRIPT_BYTES + 1)
    with pytest.raises(ScriptError, match="larger than"):
        read_script(p)
    _sparse(p, 4 * 2**30)
    t0 = time.perf_counter()
    with pytest.raises(ScriptError, match="larger than"):
        read_script(p)
    assert time.perf_counter() - t0 < 2


def test_oversized_journal_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.jsonl"
    _sparse(p, MAX_JOURNAL_BYTES + 1)
    t0 = time.perf_counter()
    with pytest.raises(JournalError, match="larger than"):
        read(p)
    assert time.perf_counter() - t0 < 2


# Schema bounds on counts and rates: each over-the-limit file is refused with its field named.
def _over(data: dict, what: str) -> str:
    """Push one count or rate past its bound; return the field path the problem must name."""
    if what == "servers":
        data["fleet"]["servers"] = [f"s{i}" for i in range(65)]
        return "fleet.servers"
    if what == "flows":
        data["flows"] = [dict(data["flows"][0], name=f"f{i}") for i in range(51)]
        return "flows"
    if what == "events":
        ev = data.setdefault("timeline", {}).setdefault("events", [])
        base = ev[0] if ev else {"at": data["clock"]["open"], "kind": "email", "sender": "x", "subject": "y"}
        data["timeline"]["events"] = [dict(base) for _ in range(501)]
        return "timeline.events"
    if what == "rate":
        data["flows"][0]["rate_per_min"] = 6001
        return "flows.0.rate_per_min"
    if what == "parents":
        for f in data["flows"]:
            f["rate_per_min"] = 6000
        return "flows"
    if what == "universe":
        data["market"]["universe"] = 10**6
        return "market.universe"
    if what == "span":
        data["clock"]["world_start"] = "00:00:00"
        data["clock"]["end"] = "23:59:00"
        return "clock"
    raise AssertionError(what)


@pytest.mark.parametrize("what", ["servers", "flows", "events", "rate", "parents", "universe", "span"])
def test_counts_and_rates_over_their_bounds_are_refused(what, tmp_path):
    sid = support.scenario_ids()[0]
    data = copy.deepcopy(support.toml_data(sid))
    field = _over(data, what)
    d = support.write_scenario(sid, data, tmp_path / what)
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert any(p.where.startswith(field) or field in p.message for p in err.value.problems), str(err.value)
