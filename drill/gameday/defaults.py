"""`drill serve`'s defaults, in a module of their own: the command line's help shows them, and
building the parser for any command must not import the server (aiohttp, the tabs, the loader)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_DRILLS = 24
DEFAULT_POOL = 0  # tabs started ahead of their browsers (drill.gameday.server): sized to the room
