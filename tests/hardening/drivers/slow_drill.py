"""A drill that runs slowly, as a console would, so a test can SIGKILL it mid-run.

    python slow_drill.py SCENARIO DIFFICULTY SEED JOURNAL SCRIPT STEP_MS SLEEP_S

Advances the session STEP_MS of sim time per step and sleeps SLEEP_S between steps; submits the
script's commands at their times. After each command is journaled it prints
`JOURNALED <seq> <t> <command>` (flushed), so the test knows what the journal must hold."""

import sys
import time

from drill.commands import VERBS
from drill.scenario import load
from drill.session import Session
from drill.session.headless import check_script
from drill.session.script import read_script


def main(scenario, difficulty, seed, journal, script, step_ms, sleep_s) -> int:
    sc = load(scenario)
    session = Session(sc, difficulty, None if seed == "-" else int(seed), journal)
    lines = check_script(session, read_script(script), script)
    print(f"STARTED {session.now}", flush=True)
    step, pause = int(step_ms), float(sleep_s)
    i = 0
    while not session.finished:
        while i < len(lines) and lines[i].at <= session.now:
            cmd = lines[i].command
            sub = session.submit(cmd, by=VERBS[cmd.verb].role) if hasattr(VERBS[cmd.verb], "role") else session.submit(cmd)
            if sub.action_id is not None:  # None: the drill had already ended, nothing journaled
                print(f"JOURNALED {sub.action_id} {session.now} {sub.command.text}", flush=True)
            i += 1
        target = session.now + step
        if i < len(lines):
            target = min(target, lines[i].at)
        session.advance_to(target)
        time.sleep(pause)
    session.close()
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
