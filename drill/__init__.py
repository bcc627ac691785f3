"""drill: a terminal incident-response drill simulator."""

__version__ = "0.1.0"
