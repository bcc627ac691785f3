"""Load a scenario directory: scenario.toml validated by the schema, plus its Markdown files."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from drill.paths import UnreadableFile, read_bounded
from drill.printable import printable
from drill.scenario.schema import Problems, Scenario

SCENARIO_FILE = "scenario.toml"
# Refuse absurd files before parsing them: real scenarios are a few kilobytes.
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Problem:
    file: str
    where: str  # a field path ("market.universe") or "line N"
    message: str

    def __post_init__(self) -> None:
        # Keys and values come from the file: a hostile one may hold newlines or escapes.
        for name in ("file", "where", "message"):
            object.__setattr__(self, name, printable(getattr(self, name)))

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class ScenarioError(Exception):
    """One or more problems with a scenario; str() gives one line per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedScenario:
    spec: Scenario
    directory: Path
    briefing: str
    runbook: str
    content_hash: str  # sha256 over every file of the scenario: the journal pins it

    @property
    def id(self) -> str:
        return self.spec.id

    def replays(self, journaled_hash: object) -> bool:
        """Whether a journal pinned to `journaled_hash` re-simulates under this version: it is
        this version, or an earlier one the scenario lists as changed in words only."""
        return journaled_hash == self.content_hash or journaled_hash in self.spec.replays_versions


def bundled_root() -> Path:
    """Where the bundled scenarios live: inside the installed package, else the source tree."""
    try:
        root = Path(str(resources.files("drill._scenarios")))
        if (root / "knightmare" / SCENARIO_FILE).is_file():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "scenarios"


def bundled_ids() -> list[str]:
    root = bundled_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / SCENARIO_FILE).is_file())


def resolve(name_or_path: str) -> Path:
    """A bundled scenario id, a scenario directory or a scenario.toml path -> the toml path."""
    p = Path(name_or_path)
    try:
        if p.is_dir():
            return p / SCENARIO_FILE
        if p.suffix == ".toml" or p.exists():
            return p
        candidate = bundled_root() / name_or_path / SCENARIO_FILE
        if candidate.is_file():
            return candidate
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise ScenarioError([Problem(name_or_path, "scenario", f"not a usable path ({exc})")]) from None
    known = ", ".join(bundled_ids()) or "none"
    raise ScenarioError([Problem(name_or_path, "scenario", f"no such scenario or file (bundled: {known})")])


def _field_path(loc: tuple) -> str:
    return ".".join(str(x) for x in loc) or "(top level)"


def _problems(file: str, exc: ValidationError) -> list[Problem]:
    """One Problem per field: pydantic's own errors, and each cross-reference the scenario breaks
    (schema.Problems, raised once with all of them)."""
    problems: list[Problem] = []
    for err in exc.errors():
        found = err.get("ctx", {}).get("error")
        if isinstance(found, Problems):
            problems.extend(Problem(file, field, message) for field, message in found.found)
        else:
            problems.append(Problem(file, _field_path(err["loc"]), err["msg"].removeprefix("Value error, ")))
    return problems


def _read_text(path: Path, label: str) -> str:
    try:
        return read_bounded(path, MAX_FILE_BYTES)
    except UnreadableFile as why:
        raise ScenarioError([Problem(str(path), label, str(why))]) from None


def load(name_or_path: str) -> LoadedScenario:
    toml_path = resolve(name_or_path)
    text = _read_text(toml_path, "file")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ScenarioError([Problem(str(toml_path), "syntax", "nested too deeply")]) from None
    except ValueError as exc:
        if not isinstance(exc, tomllib.TOMLDecodeError):  # e.g. an integer of thousands of digits
            raise ScenarioError([Problem(str(toml_path), "syntax", printable(str(exc)))]) from None
        # tomllib's message ends with "(at line N, column M)": lift that to the front.
        msg = str(exc)
        where = "syntax"
        if "(at line" in msg:
            msg, _, pos = msg.rpartition(" (at ")
            where = pos.rstrip(")")
        raise ScenarioError([Problem(str(toml_path), where, msg)]) from None
    try:
        spec = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(str(toml_path), exc)) from None
    directory = toml_path.parent
    briefing = _read_text(directory / spec.briefing, "briefing")
    runbook = _read_text(directory / spec.runbook, "runbook")
    missing = [
        Problem(str(toml_path), f"plays.{name}.file", f"{play.file} not found")
        for name, play in spec.plays.items()
        if not (directory / play.file).is_file()
    ]
    if missing:
        raise ScenarioError(missing)
    digest = hashlib.sha256()
    for name, body in sorted({SCENARIO_FILE: text, spec.briefing: briefing, spec.runbook: runbook}.items()):
        digest.update(name.encode() + b"\0" + body.encode() + b"\0")
    return LoadedScenario(spec, directory, briefing, runbook, digest.hexdigest())
