"""A drill session: the one API the console and the command line use. No UI imports here."""

from drill.session.session import Session, SessionError, Submission

__all__ = ["Session", "SessionError", "Submission"]
