"""Engine bugs the hardening suite found and that are not fixed yet.

Each has a strict xfail regression test (tests/hardening/test_known_bugs.py and the corpus): the
fix flips it to a pass, which fails the suite until the xfail mark is removed. The fuzzers keep
running past these signatures so they can go on finding new bugs; with DRILL_FUZZ_STRICT=1 they
stop tolerating them. When a bug is fixed, delete its entry here too.
"""

from __future__ import annotations


from tests.hardening.support import STRICT


# id -> (what, predicate on the escaped exception). Empty: every bug found so far is fixed (the
# regression tests in test_known_bugs.py and the corpus keep them fixed).
KNOWN: dict[str, tuple[str, object]] = {}

# Contract breaches that are not exceptions (checked where the message is checked).
KNOWN_TEXT: dict[str, str] = {}


def known(exc: BaseException) -> str | None:
    """The id of the known bug this exception is, or None (always None with DRILL_FUZZ_STRICT=1)."""
    if STRICT:
        return None
    for bug_id, (_, match) in KNOWN.items():
        if match(exc):
            return bug_id
    return None


def known_text(bug_id: str) -> str | None:
    """bug_id when that contract breach is a known, unfixed bug (listed in KNOWN_TEXT), else None:
    a breach that is not listed fails the fuzzer."""
    if STRICT or bug_id not in KNOWN_TEXT:
        return None
    return bug_id
