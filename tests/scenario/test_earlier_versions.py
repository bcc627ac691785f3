"""A scenario edited in words only lists its earlier versions' content hashes (`replays_versions`),
so journals played before the edit still replay exactly. The fixture is a knightmare journal
recorded by the program as it was before knightmare's refusal texts moved from the engine into
its scenario file (commit f715381), including a refused kill switch."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from drill.scenario import ScenarioError, load
from drill.session.replay import replay

BEFORE = Path(__file__).resolve().parents[1] / "fixtures" / "knightmare-before-refusals-moved.jsonl"


def test_a_journal_from_before_the_refusals_moved_is_replayed_and_checked_figure_by_figure(tmp_path):
    """The listed version is re-simulated, not refused: every command reproduces, refusal words
    included. This fixture stopped the whole fleet and resolved, and what a fleet left stopped
    costs after the drill's end was priced since (`scoring.minutes_after_end`): the replay
    reports that figure, and only that one, by exactly that price."""
    journal = tmp_path / "old.jsonl"
    lines = BEFORE.read_text().splitlines()
    header = json.loads(lines[0])
    header["scenario_path"] = str(tmp_path / "gone")  # the recording machine's checkout is not here
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    sc = load("knightmare")
    assert header["scenario_hash"] != sc.content_hash and sc.replays(header["scenario_hash"])
    assert "nobody ever built one" in journal.read_text()  # the refusal, in the words now in the scenario
    report = replay(journal)
    assert report.checked_commands == 3
    found = re.fullmatch(r"outcome\.collateral_usd: journal ([\d.]+), replay ([\d.]+)", report.divergence or "")
    assert not report.ok and found, report.divergence
    scoring = sc.spec.scoring
    # Seven healthy servers stopped; the stale one, still carrying the fault, costs nothing after the end.
    after_end = (len(sc.spec.fleet.servers) - 1) * scoring.server_minute_usd * scoring.minutes_after_end
    assert float(found[2]) - float(found[1]) == after_end


def test_a_version_the_scenario_does_not_list_is_still_refused(tmp_path):
    journal = tmp_path / "other.jsonl"
    lines = BEFORE.read_text().splitlines()
    header = json.loads(lines[0])
    header["scenario_hash"] = "0" * 64
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    report = replay(journal)
    assert not report.ok and "content hash changed" in report.divergence


def test_a_listed_version_must_be_a_sha256(tmp_path):
    copy = tmp_path / "knightmare"
    shutil.copytree(load("knightmare").directory, copy)
    toml = copy / "scenario.toml"
    toml.write_text(toml.read_text().replace('replays_versions = ["', 'replays_versions = ["not-a-hash", "'))
    with pytest.raises(ScenarioError, match="replays_versions"):
        load(str(copy))
