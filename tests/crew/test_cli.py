"""`drill join` and `drill play --crew`: bad input is one line naming the argument, exit code 2."""

from __future__ import annotations

import pytest

from drill.cli.main import main


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["join", "nosuch", "--name", "Ann", "--role", "operator"], "drill join: no running drill 'nosuch'"),
        (["join", "nosuch", "--name", "", "--role", "operator"], "drill join: --name: 1 to 24 printable"),
        (["join", "nosuch", "--name", "Ann\x1b[2J", "--role", "operator"], "drill join: --name:"),
        (["play", "knightmare", "--crew", "x" * 30], "drill play: --crew: name: 1 to 24 printable"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, says):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1 and "\x1b" not in err
