"""The one error the results store raises."""


class ResultsError(Exception):
    """str() is one line naming the database (a password never shown) and the problem."""
