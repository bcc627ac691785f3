"""Fingerprints of every shipped drill, to show that an engine change leaves results unchanged.

    python -m tests.engine.fingerprint before.json            # on the commit before the change
    python -m tests.engine.fingerprint after.json             # on the change
    python -m tests.engine.fingerprint --compare before.json after.json
    python -m tests.engine.fingerprint --shard 0/2 a0.json & python -m tests.engine.fingerprint --shard 1/2 a1.json
    python -m tests.engine.fingerprint --compare before.json a0.json,a1.json   # shards merged

Every play of every bundled scenario (and any actions file beside its scenario.toml), at every
difficulty it is played in that offers all of its commands, at the scenario's own seed and at seed 3, runs
through a Session; every few simulated minutes and at the end, a hash is taken of what a drill
shows and keeps: the snapshot, the outcome, the journal, the book, the ledger, the market, the
tape, the curve, the monitor, the rates, the inbox and the alerts. Two engines that give the same
hashes for all of them give the same drills.

Not a test: the hashes depend on the machine's floating point (numpy's vectorised exp may differ
in the last bit between processors), so they are compared on one machine, before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from drill.commands import VERBS
from drill.scenario import load
from drill.session import Session
from drill.session.plays import play_difficulties, play_lines
from drill.session.script import read_script

ROOT = Path(__file__).resolve().parents[2]
SEEDS_EXTRA = (3,)
EVERY_MS = 180_000  # a fingerprint of the drill as it stands every three simulated minutes


def canonical(value) -> object:
    """A JSON-able form in which every float keeps all its bits and arrays keep their dtype."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return [str(value.dtype), list(value.shape), hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value).hex()
    if isinstance(value, np.integer):
        return int(value)
    return value


def world_state(session: Session) -> dict:
    w = session.world
    book = w.book
    rows = book.rows()
    return {
        "book": {name: book._cols[name][rows] for name in sorted(book._cols)},
        "active": book.active,
        "ledger": [w.ledger.position, w.ledger.cash, w.ledger.bought, w.ledger.sold, w.ledger.touched],
        "market": [
            w.market.fair,
            w.market.pressure,
            w.market.volume,
            w.market.session_volume,
            w.market.firm_volume,
            w.market.max_move,
            w.market.halted,
            w.market.halts,
        ],
        "servers": [
            (s.name, s.release, s.wanted_running, s.outages, s.parents_in, s.children_out, s.fills, s.activity)
            for s in w.fleet.servers
        ],
        "fleet": [w.fleet.flag_enabled, w.fleet.connected],
        "rates": w.rates.window_sums(),
        "monitor": [w.monitor.backlog, w.monitor.view(w.now)],
        "tape": w.tape.rows(400),
        "curve": w.curve.points,
        "messages": w.messages,
        "alerts": w.alerts,
        "incident": w.incident,
        "totals": [
            w.runaway_parents,
            w.runaway_executions,
            w.runaway_shares,
            w.total_sent_shares,
            w.total_filled_shares,
            w.customer_shares,
            w.firm_shares,
            w.loss_usd,
            w.max_move_bps,
            w.collateral_usd,
            w.cancelled_customer_orders,
            w.halted_at,
            w.hazard(),
            w.phase(),
        ],
        "hint": w._fresh_hint(),  # next_hint() would give it: a fingerprint must not change the drill
        "snapshot": session.snapshot(),
        "outcome": session.outcome().to_dict(),
    }


def digest(value) -> str:
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True).encode()).hexdigest()


def journal_records(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for r in records:
        r.pop("written", None)
        r.pop("scenario_path", None)
    return records


def fingerprint_run(scenario, difficulty: str, seed: int, script) -> list[str]:
    """Hashes of one drill: one every EVERY_MS of simulated time, at each command, at the end."""
    hashes = []
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "j.jsonl"
        s = Session(scenario, difficulty, seed, journal)
        marks = iter(range(s.now + EVERY_MS, s.end + EVERY_MS, EVERY_MS))
        mark = next(marks, s.end)
        for line in script:
            while mark <= line.at:
                s.advance_to(mark)
                hashes.append(digest(world_state(s)))
                mark = next(marks, s.end)
            s.advance_to(line.at)
            if s.finished:
                break
            s.submit(line.command, by=VERBS[line.command.verb].role)
            hashes.append(digest(world_state(s)))
            if s.finished:
                break
        while not s.finished:
            s.advance_to(mark)
            hashes.append(digest(world_state(s)))
            mark = next(marks, s.end)
        s.close()
        hashes.append(digest(journal_records(journal)))
    return hashes


def scripts(scenario, seed: int) -> list[tuple[str, list, list[str]]]:
    """(name, lines, difficulties) of every play the scenario ships, with its placeholders filled
    for this seed, and of any actions file beside scenario.toml that is not a play."""
    out = [(name, play_lines(scenario, name, seed), play_difficulties(scenario, name)) for name in scenario.spec.plays]
    files = {(scenario.directory / p.file).resolve() for p in scenario.spec.plays.values()}
    for extra in sorted(scenario.directory.glob("*.actions")):
        if extra.resolve() not in files:
            out.append((extra.name, read_script(extra), list(scenario.spec.difficulties)))
    return out


def runs():
    for directory in sorted(p.parent for p in (ROOT / "scenarios").glob("*/scenario.toml")):
        scenario = load(str(directory))
        spec = scenario.spec
        for seed in (spec.seed, *SEEDS_EXTRA):
            for name, script, difficulties in scripts(scenario, seed):
                verbs = {line.command.verb for line in script if VERBS[line.command.verb].role != "facilitator"}
                for difficulty in difficulties:
                    if verbs <= set(spec.difficulties[difficulty].controls):
                        yield f"{spec.id}/{name}/{difficulty}/{seed}", scenario, difficulty, seed, script


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", nargs="?", help="where to write the fingerprints (JSON)")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two fingerprint files (or shards: a0,a1)")
    p.add_argument("--shard", default="0/1", help="K/N: only every N-th run, from the K-th (to use more processes)")
    args = p.parse_args(argv)
    if args.compare:
        a, b = ({k: v for f in x.split(",") for k, v in json.loads(Path(f).read_text()).items()} for x in args.compare)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        for k in differ:
            print(f"differs: {k}")
        print(f"{len(a)} and {len(b)} runs, {len(differ)} differ")
        return 1 if differ else 0
    if not args.out:
        p.error("give an output file or --compare A B")
    k, n = (int(x) for x in args.shard.split("/"))
    out = {}
    for i, (name, scenario, difficulty, seed, script) in enumerate(runs()):
        if i % n != k:
            continue
        out[name] = fingerprint_run(scenario, difficulty, seed, script)
        print(name, out[name][-2][:12], file=sys.stderr, flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1, sort_keys=True))
    print(f"{len(out)} runs fingerprinted", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
