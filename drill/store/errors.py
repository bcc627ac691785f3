"""The one error the results store raises."""


class ResultsError(Exception):
    """str() is one line naming the database (a password never shown) and the problem."""


class Unreachable(ResultsError):
    """The database server could not be reached (refused, down, the connection lost): a write may
    be kept and tried again later, unlike a refusal by the database itself."""
