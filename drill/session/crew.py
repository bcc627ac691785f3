"""Several people on one drill: who a crew member is, as a command carries it to the session.

A drill played alone has no crew: its commands are the trainee's, journaled exactly as before.
Once its owner opens it to a crew (`drill play --crew`, or a served team's second tab), every
command names the member who gave it and that member's role; the scenario's `[crew]` table says
which commands only some roles may give, and `Session.submit` refuses the rest (one place). No UI
imports here.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_NAME_CHARS = 24


class CrewError(ValueError):
    """A member's name or role that cannot be used (the message says which and why)."""


def clean_name(name: str) -> str:
    """A member's name as typed, with its runs of spaces collapsed; CrewError if it is empty, too
    long or holds a control character (it is printed in consoles and journals)."""
    text = " ".join(str(name).split())
    if not text or len(text) > MAX_NAME_CHARS or not text.isprintable():
        raise CrewError(f"name: 1 to {MAX_NAME_CHARS} printable characters")
    return text


@dataclass(frozen=True)
class CrewMember:
    """One person of a drill's crew: the name they gave and the role they took."""

    name: str
    role: str

    @classmethod
    def of(cls, name: str, role: str) -> CrewMember:
        return cls(clean_name(name), role.strip().lower())

    @property
    def label(self) -> str:
        """How consoles, the facilitator and the debrief name them: "Ann (operator)"."""
        return f"{self.name} ({self.role})"
