"""Run many drills in one process (the hardening suite's replay checks batch them to stay fast).

    python batch_run.py JOBS.json OUT.json

JOBS.json: a list of {"scenario", "difficulty", "seed", "script", "journal"}. OUT.json gets the
outcome of each, in order, as canonical JSON (sorted keys), so two runs can be compared byte for
byte. Nothing here may depend on the process: not PYTHONHASHSEED, not the wall clock."""

import json
import sys

from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import parse_script


def main(jobs_path: str, out_path: str) -> int:
    jobs = json.load(open(jobs_path, encoding="utf-8"))
    cache = {}
    outcomes = []
    for job in jobs:
        sc = cache.get(job["scenario"]) or cache.setdefault(job["scenario"], load(job["scenario"]))
        lines = parse_script(job["script"], job.get("name", "<actions>"))
        outcome = run_script(sc, job["difficulty"], job["seed"], lines, job["journal"], job.get("name", "<actions>"))
        outcomes.append(outcome.to_dict())
    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(outcomes, sort_keys=True, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
