"""One re-simulation for the debrief: an (edited) journal in, plain figures out.

This module is what the worker processes run. A `SimSpec` is a journal reduced to what decides
its outcome (scenario, difficulty, seed, the commands at their sim times, how the drill ended);
`run_sim` replays it through an ordinary `Session`, exactly as `drill replay` would, and returns a
JSON-able dict: the outcome, the loss curve, the phases and the actions with their results.
Everything here is deterministic, so a result can be cached under the spec's key.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import json
import os
import pickle
import signal
import sys
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from drill import __version__
from drill.scenario.loader import LoadedScenario, load
from drill.session.session import Session
from drill.timefmt import fmt_clock

STEP_MS = 1000  # the trainee's screen is looked at once a sim second from the clock's start
RESULT_FORMAT = 2  # 2: actions carry who issued them (by)


@dataclass(frozen=True)
class SimSpec:
    scenario_id: str
    scenario_dir: str
    scenario_hash: str
    difficulty: str
    seed: int
    # (t ms since midnight, command text), in time order, issued as the trainee issued them; the
    # facilitator's as (t, text, "facilitator"), issued as the facilitator's.
    commands: tuple[tuple, ...] = ()
    # A containment move is judged at this instant (when its actions have had their time, and a
    # tick more): if the incident is not contained then, the move is not effective and the
    # re-simulation stops there.
    judge_at: int | None = None
    # Only find the first moment the fault showed (no commands, no run to the end).
    probe_only: bool = False
    # The trainee quit (or the journal was cut short) at this instant: end the re-simulation there.
    abandon_at: int | None = None
    # Collect the messages and alerts (the trainee's own run feeds the timeline).
    events: bool = False

    def key(self) -> str:
        """A content key: what decides the result, and the engine that computes it."""
        d = asdict(self)
        d.pop("scenario_dir")  # where the files live does not matter; their hash does
        d["engine"] = engine_fingerprint()
        d["format"] = RESULT_FORMAT
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:40]


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of the code that decides a re-simulation's result: cached results from another
    version of the engine are never reused, even when the version number did not move."""
    import drill

    root = Path(drill.__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    files = sorted(
        [
            *root.glob("sim/*.py"),
            *root.glob("session/*.py"),
            *root.glob("scenario/*.py"),
            root / "commands.py",
            root / "timefmt.py",
            Path(__file__).resolve(),
        ]
    )
    for f in files:
        try:
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
        except OSError:
            digest.update(f.name.encode() + b"\0missing")
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _scenario(directory: str, content_hash: str, scenario_id: str) -> LoadedScenario:
    sc = None
    if Path(directory).is_dir():
        sc = load(directory)
    if sc is None or not sc.replays(content_hash):
        sc = load(scenario_id)
    if not sc.replays(content_hash):
        raise ValueError(
            f"scenario {scenario_id!r} has changed (content hash {sc.content_hash[:12]}, wanted {content_hash[:12]})"
        )
    return sc


def look_time(start: int, at: int) -> int:
    """The first look (once a sim second from the clock's start) at which something that happened at
    `at` is on screen: the world shows an event once it has run past it."""
    return start if at < start else start + ((at - start) // STEP_MS + 1) * STEP_MS


def describe(t: int, kind: str, messages: list[dict], alerts: list[dict], first_error_t: int | None) -> dict:
    if kind == "message":
        first = next(m for m in messages if m["signal"] and m["t"] < t)
        # No count here: how many warnings came before the open is the drill's own figure
        # (the outcome's emails_before_open), quoted once on the score card.
        return {
            "t": t,
            "kind": kind,
            "reason": f"warning {first['kind']}s on screen from {fmt_clock(first['t'])}: \u201c{first['subject']}\u201d",
        }
    if kind == "alert":
        a = alerts[0]
        return {"t": t, "kind": kind, "reason": f"alert {a['id']} at {fmt_clock(a['t'])}: {a['label']}"}
    assert first_error_t is not None  # a "child" cue is chosen only from a first error (visible_in)
    return {"t": t, "kind": kind, "reason": f"erroneous child orders on the tape from {fmt_clock(first_error_t)}"}


def visible_in(start: int, messages: list[dict], alerts: list[dict], first_error_t: int | None) -> dict | None:
    """The first moment the fault showed, from a drill's recorded events (what `find_visible` finds
    by looking, computed after the fact): a message that points at the fault, an alert, or an
    erroneous child order, whichever is on screen first (in that order on a tie)."""
    options = []
    signals = [m for m in messages if m["signal"]]
    if signals:
        options.append((look_time(start, signals[0]["t"]), 0, "message"))
    if alerts:
        options.append((look_time(start, alerts[0]["t"]), 1, "alert"))
    if first_error_t is not None:
        options.append((look_time(start, first_error_t), 2, "child"))
    if not options:
        return None
    t, _, kind = min(options)
    return describe(t, kind, messages, alerts, first_error_t)


def _events(world) -> tuple[list[dict], list[dict]]:
    msgs = [
        {
            "id": m.id,
            "t": int(m.at),
            "kind": m.kind,
            "sender": m.sender,
            "subject": m.subject,
            "body": m.body,
            "signal": bool(m.signal),
        }
        for m in world.messages
    ]
    alerts = [
        {
            "id": a.id,
            "t": int(a.at),
            "kind": a.kind,
            "label": a.label,
            "detail": a.detail,
            "acked_t": None if a.acked_at is None else int(a.acked_at),
        }
        for a in world.alerts
    ]
    return msgs, alerts


PROBE_CHUNK_MS = 5_000


def find_visible(session: Session) -> dict | None:
    """The first moment the fault showed on the screen of a drill left to run: the world is run in
    short chunks until something that points at the fault has happened, then the moment is worked
    out from the events themselves (`visible_in`). None when nothing ever showed."""
    world = session.world
    while True:
        if any(m.signal for m in world.messages) or world.alerts or world.incident.first_error_at is not None:
            msgs, alerts = _events(world)
            return visible_in(session.scenario.spec.clock.start, msgs, alerts, world.incident.first_error_at)
        if session.finished or session.now >= session.end:
            return None
        session.advance_to(session.now + PROBE_CHUNK_MS)


def extract(session: Session, events: bool) -> dict:
    """The figures of a finished (or abandoned) session, as plain JSON-able data."""
    w = session.world
    out = session.outcome()
    result = {
        "outcome": out.to_dict(),
        "end_t": session.now,
        "curve": [[int(t), round(float(loss), 2), round(float(exp), 2)] for t, loss, exp in w.curve.points],
        "phases": [[int(t), p] for t, p in w.incident.phases],
        "actions": [
            {
                "seq": a.id,
                "t": int(a.submitted_at),
                "command": a.command.text,
                "status": a.status,
                "result": a.result,
                "finished_t": None if a.finished_at is None else int(a.finished_at),
                "by": a.by,
            }
            for a in w.actions_log
        ],
    }
    if events:
        result["messages"], result["alerts"] = _events(w)
    return result


def own_result(session: Session, spec: SimSpec) -> dict:
    """The figures a re-simulation of `spec` gives, read off the finished `session` that played it
    (the drill itself, live or headless): the same dict as `_tail` returns, with nothing
    re-simulated (elapsed_s and cpu_s 0). Every command of a played journal was issued at its time,
    which is what a replay of it does too; the tests compare the two."""
    if not session.finished:
        raise ValueError("the session has not finished yet")
    result = extract(session, spec.events)
    result.update(
        {
            "issued": [list(c) for c in spec.commands],
            "aborted": False,
            "elapsed_s": 0.0,
            "cpu_s": 0.0,
            "branched_at": None,
        }
    )
    return result


def run_sim(spec: SimSpec) -> dict:
    """Re-simulate one spec. Returns the figures (see `extract`) plus `issued` (the commands as
    actually placed), `visible` (for probes and containment moves), `aborted` and `elapsed_s`.
    Raises RuntimeError (one line) when it cannot be re-simulated. See `run_group`."""
    kind, value = run_group((spec,))[0]
    if kind == "error":
        raise RuntimeError(value)
    assert isinstance(value, dict)  # "ok" carries the figures
    return value


def run_group(specs: tuple[SimSpec, ...] | list[SimSpec]) -> list[tuple[str, dict | str]]:
    """Re-simulate several specs of one scenario, difficulty and seed, sharing what they share.

    Returns, in the order given, ("ok", figures) or ("error", one line) for each spec: a spec that
    fails (or whose process dies) spoils its own result, never its neighbours'.

    In a worker process on Linux the drill is not built from scratch: the worker keeps a session
    already run to the clock's start for each scenario, difficulty and seed (every journal's commands
    come after it), never advanced in the worker itself. The group's specs are a tree of command
    sequences: a forked child walks it from that session, issuing the commands the specs have in
    common once; where they part (the branch point: the next command differs, or a spec ends) it
    stays parked, and each branch continues in a child forked from it, one after another (the last
    in the parked process itself). Every spec's session goes through exactly the calls `_run` makes
    on a fresh one (advance to each command's time, submit it, then the spec's own tail), so its
    figures are byte for byte those of a fresh re-simulation; the tests compare the two.

    Elsewhere (no fork, or outside a worker: forking is only safe in a single-threaded process),
    each spec runs on a fresh session, one after another."""
    specs = tuple(specs)
    if not (_IN_WORKER and _FORK_OK) or len({_world_key(s) for s in specs}) > 1:
        return [_guarded(lambda s=s: _run(s, _fresh(s))) for s in specs]
    if not specs:
        return []
    try:
        template = _template(specs[0])
    except Exception as exc:  # noqa: BLE001 - the scenario could not be loaded: every spec says why
        return [("error", _one_line(exc))] * len(specs)
    items = list(enumerate(specs))
    found = dict(_forked(lambda: _walk(template, items, 0, ()), [i for i, _ in items]))
    return [found[i] for i in range(len(specs))]


def run_fresh(spec: SimSpec) -> dict:
    """One re-simulation on a fresh session of its own, never forked nor branched: the reference the
    tests hold branching to."""
    return _run(spec, _fresh(spec))


def _world_key(spec: SimSpec) -> tuple:
    return (spec.scenario_hash, spec.difficulty, spec.seed)


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _guarded(fn) -> tuple[str, dict | str]:
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - one spec's failure is its own result
        return ("error", _one_line(exc))


def _fresh(spec: SimSpec) -> Session:
    sc = _scenario(spec.scenario_dir, spec.scenario_hash, spec.scenario_id)
    session = Session(sc, spec.difficulty, spec.seed)
    _skip_tape(session)
    return session


def _skip_tape(session: Session) -> None:
    """A re-simulation never shows the tape, and the tape's sample draws from its own random stream
    and never changes the market (Tape.hide): skipping it changes no figure the debrief reads.
    Tests compare re-simulated figures with the journal's and with plain headless runs, so a tape
    that ever fed the market would show."""
    session.world.tape.hide()


_IN_WORKER = False  # set by the pool's initializer: forking is only safe in its single-threaded workers
_FORK_OK = hasattr(os, "fork") and sys.platform.startswith("linux")
_TEMPLATES: OrderedDict[tuple, Session] = OrderedDict()
MAX_TEMPLATES = 4
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def mark_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True


def _template(spec: SimSpec) -> Session:
    key = _world_key(spec)
    s = _TEMPLATES.get(key)
    if s is None:
        s = _fresh(spec)  # run to the clock's start, and never advanced in this process again
        _TEMPLATES[key] = s
        while len(_TEMPLATES) > MAX_TEMPLATES:
            _TEMPLATES.popitem(last=False)
        # Everything alive now (the engine, the templates) is kept out of the collector's sight: the
        # forked children do not walk it (a seventh of a re-simulation's CPU) nor copy its pages by
        # touching it. What they allocate is collected as usual.
        gc.freeze()
    _TEMPLATES.move_to_end(key)
    return s


def _die_with_parent(parent: int) -> None:
    """In a forked child: be killed if the process that forked it ends (a debrief stopped, a worker
    killed), so no branch outlives the one waiting for it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it ended before the line above took effect
        os._exit(1)


def _forked(work, indices: list[int]) -> list[tuple[int, tuple[str, dict | str]]]:
    """Run `work` (which returns [(index, result)]) in a child forked from this process, whose state
    it may change freely; wait for it. A child that dies without a result fails its indices, one
    clear line each."""
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send the results, and leave without touching the parent's state
        code = 1
        try:
            os.close(r)
            _die_with_parent(parent)
            try:
                payload = pickle.dumps(work())
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps([(i, ("error", _one_line(exc))) for i in indices])
            with os.fdopen(w, "wb") as fh:
                fh.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if data:
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - torn (the child was killed while writing)
            pass
    why = f"re-simulation process ended without a result ({_ended(status)})"
    return [(i, ("error", why)) for i in indices]


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}" if os.WIFEXITED(status) else f"wait status {status}"


def _walk(
    session: Session,
    items: list[tuple[int, SimSpec]],
    depth: int,
    issued: tuple[tuple, ...],
    branched_at: int | None = None,
) -> list[tuple[int, tuple[str, dict | str]]]:
    """Continue `session` (every spec in `items` has had its first `depth` commands issued on it, as
    `issued`) into each spec's result. Where the specs part, each branch runs in its own forked
    child, the last in this process; each result says where its branch left the others
    (`branched_at`, sim ms; None: it shared nothing after the clock's start)."""
    ends = [(i, s) for i, s in items if s.probe_only or len(s.commands) == depth]
    nexts: dict[tuple, list[tuple[int, SimSpec]]] = {}
    for i, s in items:
        if not (s.probe_only or len(s.commands) == depth):
            nexts.setdefault(tuple(s.commands[depth]), []).append((i, s))
    branches = [(None, [it]) for it in ends] + list(nexts.items())
    if len(branches) > 1:
        branched_at = session.now

    def run(entry: tuple | None, its: list[tuple[int, SimSpec]]):
        if entry is None:
            i, s = its[0]
            return [(i, _guarded(lambda: _tail(s, session, issued, branched_at=branched_at)))]
        t, text, *by = entry
        try:
            session.advance_to(t)
            if session.finished or session.now != t:
                # The drill ended first (bankruptcy, resolve): like a replay, nothing follows.
                return _walk(
                    session, [(i, replace(s, commands=s.commands[:depth])) for i, s in its], depth, issued, branched_at
                )
            session.submit(text, by=by[0] if by else "trainee")
        except Exception as exc:  # noqa: BLE001 - as `_run` would: each spec that shares it fails
            return [(i, ("error", _one_line(exc))) for i, _ in its]
        return _walk(session, its, depth + 1, (*issued, entry), branched_at)

    out: list[tuple[int, tuple[str, dict | str]]] = []
    for entry, its in branches[:-1]:
        out += _forked(lambda entry=entry, its=its: run(entry, its), [i for i, _ in its])
    entry, its = branches[-1]
    return out + run(entry, its)


def _run(spec: SimSpec, session: Session) -> dict:
    """A whole re-simulation on a session at the clock's start: issue the commands, then the tail."""
    t0, c0 = time.perf_counter(), time.process_time()
    issued: list[tuple] = []
    if not spec.probe_only:
        for t, text, *by in spec.commands:
            session.advance_to(t)
            if session.finished or session.now != t:
                break  # the drill ended first (bankruptcy, resolve): like a replay, nothing follows
            session.submit(text, by=by[0] if by else "trainee")
            issued.append((t, text, *by))
    return _tail(spec, session, tuple(issued), t0, c0)


def _tail(
    spec: SimSpec,
    session: Session,
    issued: tuple[tuple, ...],
    t0: float | None = None,
    c0: float = 0.0,
    branched_at: int | None = None,
) -> dict:
    """What follows a spec's last command: its judgement, its end, and its figures. `t0`, `c0`: when
    its work began (default: wall time now; CPU since the process began, which for a forked branch is
    what it did after the fork)."""
    t0 = time.perf_counter() if t0 is None else t0
    aborted = False
    try:
        if spec.probe_only:
            return {
                "visible": find_visible(session),
                "elapsed_s": round(time.perf_counter() - t0, 3),
                "cpu_s": round(time.process_time() - c0, 3),
                "branched_at": branched_at,
            }
        if spec.judge_at is not None and not session.finished:
            session.advance_to(spec.judge_at)
            if not session.finished and not session.outcome().contained:
                aborted = True
        if not aborted and not session.finished:
            if spec.abandon_at is not None:
                session.advance_to(spec.abandon_at)
                session.abandon()
            else:
                session.run_to_end()
        result = extract(session, spec.events)
        result.update(
            {
                "issued": [list(c) for c in issued],
                "aborted": aborted,
                "elapsed_s": round(time.perf_counter() - t0, 3),
                "cpu_s": round(time.process_time() - c0, 3),
                "branched_at": branched_at,
            }
        )
        return result
    finally:
        session.close()


def prime(spec: SimSpec) -> str:
    """Run in a worker ahead of a debrief: build its session at the clock's start for the spec's
    scenario, difficulty and seed (what every re-simulation there forks from), so the debrief's
    first re-simulations do not pay for it."""
    if _IN_WORKER and _FORK_OK:
        _template(spec)
    return engine_fingerprint()


def prime_here(spec: SimSpec) -> None:
    """In a process about to fork its workers (a single-threaded one, such as `drill debrief`): build
    the session at the clock's start for the spec's scenario, difficulty and seed here, so the
    workers fork with it. Only a worker forks from it (`_template` is read where `_IN_WORKER`)."""
    if _FORK_OK:
        try:
            _template(spec)
        except Exception:  # noqa: BLE001 - the workers will fail on it with one clear line each
            pass


def warm() -> str:
    """Run in each worker as it starts: pay the imports and the engine fingerprint up front."""
    return engine_fingerprint()


__all__ = [
    "SimSpec",
    "run_sim",
    "find_visible",
    "visible_in",
    "look_time",
    "extract",
    "engine_fingerprint",
    "warm",
    "mark_worker",
    "run_group",
    "run_fresh",
    "own_result",
    "prime",
    "prime_here",
    "STEP_MS",
]
