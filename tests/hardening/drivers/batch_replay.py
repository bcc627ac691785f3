"""`drill replay --json` over many journals in one process (the CLI's own code path, in-process).

    python batch_replay.py OUT.json JOURNAL...

OUT.json: a list of {"journal", "rc", "stdout", "stderr"}."""

import contextlib
import io
import json
import sys

from drill.cli.main import main as drill_main


def main(out_path: str, *journals: str) -> int:
    rows = []
    for j in journals:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = drill_main(["replay", j, "--json"])
        rows.append({"journal": j, "rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()})
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(rows, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
