"""A drill open to its facilitator: the channel a console hosts (`channel`), the door for the
facilitator's commands (`host`) and the drill's identity, token and registration (`hosted`).

It sits below the console: `drill.tui` opens a channel for its drill, and `drill.gameday` (serve,
the facilitator's console) reaches drills through it. Nothing here imports Textual.
"""
