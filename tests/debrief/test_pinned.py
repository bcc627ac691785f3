"""The debrief's exports are published formats: a journal's JSON, Markdown and HTML are pinned
byte for byte (tests/fixtures/debrief/steered-rollback.*: the rollback trap, knightmare historical,
steered by a facilitator: speed, pause, resume, a pushed hint, an injected call).

The pinned files hold `{journal}` where the journal's absolute path goes and `{version}` for the
program's version. When a change is meant to move a figure (the engine, the scenario) or the
format, run this file with DRILL_UPDATE_PINS=1 to write them again, and read the diff."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from drill import __version__
from drill.debrief.export import to_html, to_json, to_markdown

from .conftest import ROOT, drill

PINNED = ROOT / "tests" / "fixtures" / "debrief"
NAME = "steered-rollback"


def _placeholders(text: str, journal: Path) -> str:
    return text.replace(str(journal.resolve()), "{journal}").replace(f"drill {__version__}", "drill {version}")


def _check(ext: str, text: str, journal: Path) -> None:
    pinned = PINNED / f"{NAME}.{ext}"
    got = _placeholders(text, journal)
    if os.environ.get("DRILL_UPDATE_PINS"):
        pinned.write_text(got, encoding="utf-8")
    want = pinned.read_text(encoding="utf-8")
    assert got == want, f"{pinned.name} changed: the first difference is at character {_first_difference(got, want)}"


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


@pytest.fixture(scope="module")
def pinned_journal(tmp_path_factory) -> Path:
    journal = tmp_path_factory.mktemp("pinned") / f"{NAME}.jsonl"
    shutil.copyfile(PINNED / f"{NAME}.jsonl", journal)
    return journal


def test_the_exports_of_a_pinned_journal_are_byte_identical(pinned_journal, shared_cache, runner):
    from drill.debrief import build

    d = build(pinned_journal, cache=shared_cache, runner=runner)
    assert d.complete and not d.warnings, d.warnings
    _check("json", to_json(d), pinned_journal)
    _check("md", to_markdown(d, "chart.svg"), pinned_journal)
    _check("html", to_html(d), pinned_journal)


def test_drill_debrief_prints_the_pinned_json(pinned_journal, shared_data):
    p = drill("debrief", pinned_journal, "--format", "json", data_dir=shared_data, timeout=600)
    assert p.returncode == 0, p.stderr
    _check("json", p.stdout, pinned_journal)
