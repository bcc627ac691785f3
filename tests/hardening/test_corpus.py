"""The corpus: the nastiest inputs found while fuzzing, kept as files and replayed on every run
under the same contracts as the fuzzers (tests/hardening/corpus/README.md).

A file named `known-<bug id>--<what>.<ext>` shows a bug not fixed yet (tests/hardening/known_bugs.py):
it runs as a strict xfail with the fuzzers' tolerance switched off, so the fix turns it into an
XPASS that fails the suite: then drop the `known-<bug id>--` prefix and the bug's entry."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

import drill.tui
from drill.scenario.loader import bundled_root
from tests.hardening import known_bugs, support
from tests.hardening.test_fuzz_actions import check_actions
from tests.hardening.test_fuzz_cli import check_cli
from tests.hardening.test_fuzz_journal import check_journal
from tests.hardening.test_fuzz_scenario import check_one

CORPUS = support.CORPUS
BASE = "knightmare"  # the corpus files are mutations of it (they name its servers and flags)


def _files(kind: str):
    params = []
    for p in sorted((CORPUS / kind).iterdir()):
        marks = []
        if p.name.startswith("known-"):
            bug = p.name[len("known-"):].split("--", 1)[0]
            reason = known_bugs.KNOWN.get(bug, (known_bugs.KNOWN_TEXT.get(bug, bug),))[0]
            marks.append(pytest.mark.xfail(strict=True, reason=f"{bug}: {reason}"))
        params.append(pytest.param(p, marks=marks, id=p.name))
    return params


@pytest.fixture
def strict_if_known(request, monkeypatch):
    """Known-bug files run with the tolerance off: they must fail until the bug is fixed."""
    path = request.node.callspec.params["path"]
    if path.name.startswith("known-"):
        monkeypatch.setattr(support, "STRICT", True)
        monkeypatch.setattr(known_bugs, "STRICT", True)


@functools.lru_cache(maxsize=None)
def _tiny(tmp: str):
    return support.tiny_scenario(BASE, Path(tmp) / "tiny")


pytestmark = pytest.mark.skipif(BASE not in support.scenario_ids(), reason=f"{BASE} does not load right now")


@pytest.mark.parametrize("path", _files("scenario"))
def test_corpus_scenario(path, strict_if_known):
    result = check_one(BASE, "full", path.name, path.read_bytes(), 1)
    assert not result.startswith("known:"), result


@pytest.mark.parametrize("path", _files("actions"))
def test_corpus_actions(path, strict_if_known):
    result = check_actions(path.read_bytes(), BASE, 1)
    assert not result.startswith("known:"), result


@pytest.mark.parametrize("path", _files("journals"))
def test_corpus_journal(path, strict_if_known, tmp_path_factory):
    sc = _tiny(str(tmp_path_factory.getbasetemp()))
    text = path.read_bytes()
    for key, value in (("HASH", sc.content_hash), ("PATH", str(sc.directory))):
        text = text.replace(b"{{" + key.encode() + b"}}", value.encode())
    for key, value in (("START", sc.spec.clock.start), ("END", sc.spec.clock.end)):
        text = text.replace(b'"{{' + key.encode() + b'}}"', str(value).encode())
    result = check_journal(text)
    assert not result.startswith("known:"), result


@pytest.mark.parametrize("path", _files("argv"))
def test_corpus_command_line(path, strict_if_known, tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setattr(drill.tui, "run_console", lambda *a, **k: 0)
    sc = _tiny(str(tmp_path_factory.getbasetemp()))
    args = [a.replace("{{TINY}}", str(sc.directory)).replace("{{TMP}}", str(tmp_path))
            for a in json.loads(path.read_text())]
    result = check_cli(args)
    assert not result.startswith("known:"), result


def test_corpus_base_is_bundled():
    assert (bundled_root() / BASE / "scenario.toml").is_file()
