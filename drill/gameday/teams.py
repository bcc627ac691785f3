"""Teams a facilitator creates for a game day, each with a join code.

Without teams, a served tab asks for any team name (anyone can play as "red"). Once the
facilitator has created teams (`drill facilitate`, the Teams field), a served tab's team field
takes a join code instead, and the drill plays under the team the code belongs to: only the people
the facilitator gave the code to play as that team. The file (teams.json in the data directory)
holds each team's name and a hash of its code, never the code: the facilitator's screen shows it
once. Nothing here imports Textual.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from drill.paths import data_dir
from drill.results import MAX_TEAM_CHARS  # as the results store allows

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud across a room
CODE_CHARS = 8
MAX_TEAMS = 200


class TeamError(ValueError):
    pass


@dataclass(frozen=True)
class Team:
    name: str
    code_hash: str


def teams_path() -> Path:
    return data_dir() / "teams.json"


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(b"drill join code\0" + normalise(code).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return f"{raw[:4]}-{raw[4:]}"


def load(path: Path | None = None) -> list[Team]:
    """The teams, or [] when the facilitator has created none (no file).

    A file that is there but is not one this program wrote raises TeamError naming the file and
    the field: reading it as "no teams" would let any tab play under any name, and the next team
    created would overwrite the ones it held."""
    p = path or teams_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise TeamError(f"{p}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        raw = json.loads(text)
    except ValueError:
        raise TeamError(f"{p}: not JSON") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("teams"), list):
        raise TeamError(f"{p}: teams: expected a list of teams")
    return [_team(p, i, t) for i, t in enumerate(raw["teams"])]


def _team(path: Path, i: int, entry: object) -> Team:
    if not isinstance(entry, dict):
        raise TeamError(f"{path}: teams[{i}]: expected an object with name and code_hash")
    for field in ("name", "code_hash"):
        if not isinstance(entry.get(field), str):
            raise TeamError(f"{path}: teams[{i}].{field}: expected a string")
    return Team(entry["name"], entry["code_hash"])


def create(name: str, path: Path | None = None) -> str:
    """Add a team (or give an existing one a new code); returns its join code, to show once."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_TEAM_CHARS or not name.isprintable():
        raise TeamError(f"a team name is 1 to {MAX_TEAM_CHARS} printable characters")
    p = path or teams_path()
    teams = [t for t in load(p) if t.name != name]
    if len(teams) >= MAX_TEAMS:
        raise TeamError(f"at most {MAX_TEAMS} teams")
    code = new_code()
    teams.append(Team(name, _hash(code)))
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps({"teams": [{"name": t.name, "code_hash": t.code_hash} for t in teams]}), encoding="utf-8")
    os.replace(tmp, p)
    return code


def team_for(code: str, teams: list[Team]) -> str | None:
    """The team a join code belongs to, or None."""
    h = _hash(code)
    for t in teams:
        if hmac.compare_digest(t.code_hash, h):
            return t.name
    return None
