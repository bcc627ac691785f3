"""Actions files: one command per line, `HH:MM:SS COMMAND [ARGS]`, in the scenario's clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drill.commands import Command, CommandError, parse_command
from drill.paths import UnreadableFile, read_bounded
from drill.timefmt import fmt_clock, parse_clock

MAX_SCRIPT_BYTES = 1_000_000
MAX_SCRIPT_COMMANDS = 5_000  # a drill is minutes long: thousands of commands is not a drill


class ScriptError(Exception):
    """str() is one line: FILE: line N: what is wrong."""


@dataclass(frozen=True)
class ScriptLine:
    line: int
    at: int  # ms since midnight ET
    command: Command


def parse_script(text: str, name: str = "<actions>") -> list[ScriptLine]:
    out: list[ScriptLine] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        when, _, rest = line.partition(" ")
        try:
            at = parse_clock(when)
        except ValueError as exc:
            raise ScriptError(f"{name}: line {n}: {exc}") from None
        try:
            cmd = parse_command(rest)
        except CommandError as exc:
            raise ScriptError(f"{name}: line {n}: {exc}") from None
        if len(out) >= MAX_SCRIPT_COMMANDS:
            raise ScriptError(f"{name}: line {n}: more than {MAX_SCRIPT_COMMANDS:,} commands, refused")
        if out and at < out[-1].at:
            before = out[-1]
            raise ScriptError(
                f"{name}: line {n}: {when} is earlier than {fmt_clock(before.at)} on line {before.line}; "
                f"the times in an actions file must not go backwards"
            )
        out.append(ScriptLine(n, at, cmd))
    return out


def read_script(path: str | Path) -> list[ScriptLine]:
    p = Path(path)
    try:
        text = read_bounded(p, MAX_SCRIPT_BYTES)
    except UnreadableFile as why:
        raise ScriptError(f"{p}: file: {why}") from None
    return parse_script(text, str(p))
