"""The command line: list, play, run, replay, validate, bench."""
