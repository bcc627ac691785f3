"""Completion for the command line and the command palette, from the command vocabulary and
the scenario's names. Pure Python: the Input's suggester, Tab completion and the palette's
provider all ask the same `Completer`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drill.commands import VERBS


@dataclass
class Completer:
    verbs: Sequence[str]  # the verbs this difficulty offers, in vocabulary order
    servers: Sequence[str]
    flags: Sequence[str]
    alerts: Callable[[], Sequence[str]] = field(default=lambda: ())  # open alert ids, read live

    def _names(self, kind: str) -> Sequence[str]:
        if kind == "server":
            return self.servers
        if kind == "flag":
            return self.flags
        if kind == "alert":
            return self.alerts()
        return ()

    def _split(self, line: str) -> tuple[str, str, int]:
        """(text before the word under the cursor, that word, its position in the command)."""
        words = line.split()
        if not words or line[-1:].isspace():
            return line, "", len(words)
        word = words[-1]
        return line[: len(line) - len(word)], word, len(words) - 1

    def options(self, line: str) -> tuple[str, str, list[str]]:
        """(head, word, candidates): the candidates that could replace `word` at the end of `line`."""
        head, word, index = self._split(line)
        low = word.lower()
        if index == 0:
            pool: Sequence[str] = self.verbs
        else:
            verb = VERBS.get(line.split()[0].lower())
            if verb is None or index - 1 >= len(verb.args):
                return head, word, []
            pool = self._names(verb.args[index - 1].kind)
        return head, word, [c for c in pool if c.lower().startswith(low)]

    def _wants_more(self, line: str, index: int) -> bool:
        """Does the command take a word after position `index` (0 is the verb)?"""
        verb = VERBS.get(line.split()[0].lower()) if line.split() else None
        if verb is None:
            return False
        return index < len(verb.args)

    def suggest(self, line: str) -> str | None:
        """A whole-line suggestion that extends `line` (the Input shows the rest greyed)."""
        if not line.strip():
            return None
        head, word, cands = self.options(line)
        for cand in cands:
            if len(cand) > len(word):
                # The Input shows what goes past the typed text; accepting it also fixes the case.
                return head + cand
        return None

    def complete(self, line: str) -> tuple[str, list[str]]:
        """Tab: the line extended as far as the candidates agree, and the candidates."""
        head, word, cands = self.options(line)
        if not cands:
            return line, []
        if len(cands) == 1:
            done = head + cands[0]
            _, _, index = self._split(done)
            return (done + " " if self._wants_more(done, index) else done), cands
        common = os.path.commonprefix([c.lower() for c in cands])  # noqa: RUF071 -- strings, not paths
        if len(common) > len(word):
            return head + word + cands[0][len(word) : len(common)], cands
        return line, cands

    def commands(self) -> list[tuple[str, str]]:
        """Every command this difficulty offers with its arguments filled in, as (text, help)."""
        out: list[tuple[str, str]] = []
        for name in self.verbs:
            verb = VERBS[name]
            if not verb.args or verb.args[0].optional:
                out.append((name, verb.summary))
            for arg in verb.args[:1]:
                out.extend((f"{name} {value}", verb.summary) for value in self._names(arg.kind))
        return out
