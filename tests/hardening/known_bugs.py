"""Engine bugs the hardening suite found and that are not fixed yet.

Each has a strict xfail regression test (tests/hardening/test_known_bugs.py and the corpus): the
fix flips it to a pass, which fails the suite until the xfail mark is removed. The fuzzers keep
running past these signatures so they can go on finding new bugs; with DRILL_FUZZ_STRICT=1 they
stop tolerating them. When a bug is fixed, delete its entry here too.
"""

from __future__ import annotations

import errno

from tests.hardening.support import STRICT


def _too_long(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG


# id -> (what, predicate on the escaped exception)
KNOWN: dict[str, tuple[str, object]] = {
    "deep-nesting": ("scenario loader / journal reader: deeply nested TOML or JSON raises RecursionError",
                     lambda e: isinstance(e, RecursionError)),
    "huge-int-literal": ("scenario loader / journal reader: an integer literal over 4,300 digits raises ValueError",
                         lambda e: type(e) is ValueError and "Exceeds the limit" in str(e)),
    "lesson-empty-command": ("scenario schema: an empty string in lessons.*.check.commands raises IndexError",
                             lambda e: isinstance(e, IndexError)),
    "missed-more-than-servers": ("engine: deploy.missed longer than the fleet (duplicates) crashes Session for other seeds",
                                 lambda e: type(e) is ValueError and "larger sample than population" in str(e)),
    "result-seq-type": ("replay: a result record whose seq is not an int raises TypeError",
                        lambda e: type(e) is TypeError and ("not supported between" in str(e) or "unhashable" in str(e))),
    "name-too-long": ("CLI / replay: a path component over NAME_MAX raises OSError(ENAMETOOLONG)",
                      _too_long),
}
# Contract breaches that are not exceptions (checked where the message is checked).
KNOWN_TEXT = {
    "field-path-control-chars": "scenario loader: a TOML key holding a newline or escape character is echoed raw "
                                "in the problem's field path (the one-line message breaks; terminal escapes pass)",
    "path-control-chars": "CLI: a file name holding a newline or escape character is echoed raw in the error line",
    "multi-problem-lines": "CLI run/play/replay: a scenario with several problems prints one line per problem, not one line",
}


def known(exc: BaseException) -> str | None:
    """The id of the known bug this exception is, or None (always None with DRILL_FUZZ_STRICT=1)."""
    if STRICT:
        return None
    for bug_id, (_, match) in KNOWN.items():
        if match(exc):
            return bug_id
    return None
