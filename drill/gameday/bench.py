"""Many drills served at once: are they still responsive at 1x?

    python -m drill.gameday.bench [--drills 10] [--seconds 30] [--speed 1] [--json]

Starts a real `drill serve` (a subprocess, a scratch data directory), waits for its warm process,
opens N browser-less tabs at once (drill.gameday.webclient: the websocket a browser opens, the
same messages), gives each a team and
starts its drill, attaches a facilitator (polling every drill's status once a second, as `drill
facilitate` does), has it run every drill at 60x to just past the open (the quiet pre-market is not
the test), sets the speed under test, then measures for `seconds`:

- in each tab's own process (its channel reports it): event-loop lag, how late a 50 ms sleep
  wakes (p50/p99/max over the last 20 s of the run), and console frames rendered per second;
- at each client: screen updates received per second, and keystroke echo, the time from sending
  a character into the command line to seeing it come back on the screen (every 2 s per tab);
- the sim's pace (sim seconds per wall second: 1.0 means it keeps up at 1x) and the CPU used by
  the tab processes, and by everything serve started (their debrief workers too), in cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drill.gameday.roster import Watched

ECHO_CHAR = "§"  # appears nowhere on the console's own screens
START_AT = "09:31:00"  # the measurement starts in the incident: the open's order flow, the runaway


def _status(w: Watched) -> dict:
    """The last status of a drill the roster has polled (every drill here has sent one)."""
    assert w.status is not None, f"{w.label}: no status yet"
    return w.status


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of every live process descended from `root` (serve, its warm process, the tabs
    forked from it, their debrief workers: each tab is its own session, so the tree it is)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                parent[int(d.name)] = int(fields[1])
                cpu[int(d.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                continue
    total = 0.0
    for pid in cpu:
        p = pid
        while p and p != root and p in parent:
            p = parent[p]
        if p == root:
            total += cpu[pid]
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start_tab(url: str, team: str, width: int, height: int, before: dict[int, float]):
    """Open one tab and take it to its console: (client, seconds to the console, seconds to the
    picker, CPU-s of its process from its fork, CPU-s of it from this browser's arrival)."""
    from drill.gameday.webclient import ENTER, TabClient

    t0 = time.perf_counter()
    c = TabClient(url, width, height)
    await c.connect(timeout=60)
    await c.wait_for("Team", timeout=120)
    first_frame = time.perf_counter() - t0
    await c.type(team)
    await c.send(ENTER)
    await c.wait_for("Esc back", timeout=120)
    m = c.mark()
    await c.send(ENTER)
    await c.wait_for("smars", since=m, timeout=120)
    at_console = time.perf_counter() - t0
    pid = await _tab_pid(team)
    cpu = since_browser = None
    if pid is not None:
        cpu = _cpu_s(pid)
        since_browser = cpu - before.get(pid, 0.0)
    await c.send(":")  # the command line, for the echo probe
    return c, at_console, first_frame, cpu, since_browser


async def _tab_pid(team: str) -> int | None:
    """The process of the tab playing as `team` (found in the drills' registry, which the drill
    joins as its console starts): its CPU so far is the start-up's cost, whatever the load."""
    from drill.hosting.channel import running_drills

    for _ in range(50):
        pids = [d["pid"] for d in running_drills() if d.get("team") == team]
        if pids:
            return int(pids[0])
        await asyncio.sleep(0.1)
    return None


async def _wait_warm(serve_pid: int, data: Path, pool: int, timeout: float = 300.0) -> float:
    """Wait until serve's warm process has imported everything, run the morning and filled the
    debrief cache (it is then idle, waiting for tabs), and serve has pre-started its pool of tabs
    (it says so): a game day's server is up before its teams open the page. Returns the seconds
    waited."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() < t0 + timeout:
        warm = [
            int(d.name)
            for d in Path("/proc").iterdir()
            if d.name.isdigit() and b"drill.gameday.warm" in _read(d / "cmdline") and _ppid(d) == serve_pid
        ]
        if warm:
            # Its forked cache warmer counts (the one child it runs at nice 10; the pre-started
            # tabs are its children too, at nice 0), not multiprocessing's resource tracker.
            busy = any(
                _ppid(d) == warm[0] and b"drill.gameday.warm" in _read(d / "cmdline") and _nice(d) > 0
                for d in Path("/proc").iterdir()
                if d.name.isdigit()
            )
            now = _cpu_s(warm[0])
            pooled = not pool or "tabs pre-started, waiting for their browsers" in _read(data / "serve.out").decode()
            if last is not None and now == last and not busy and pooled:
                break
            last = now
        await asyncio.sleep(0.5)
    return time.monotonic() - t0


def _nice(d: Path) -> int:
    try:
        return int((d / "stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return 0


def _read(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError:
        return b""


def _ppid(d: Path) -> int:
    try:
        return int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


async def _echo_probe(tab, until: float, out: list[float]) -> None:
    from drill.gameday.webclient import BACKSPACE

    await asyncio.sleep(0.5 + (hash(id(tab)) % 1000) / 1000)  # spread the probes
    while time.perf_counter() < until:
        m = tab.mark()
        t = time.perf_counter()
        await tab.send(ECHO_CHAR)
        try:
            await tab.wait_for(re.escape(ECHO_CHAR), since=m, timeout=10)
            out.append((time.perf_counter() - t) * 1000)
        except TimeoutError:
            out.append(10_000.0)
        await tab.send(BACKSPACE)
        await asyncio.sleep(2.0)


def _start_serve(data: Path, port: int, drills: int, speed: float, pool: int) -> subprocess.Popen:
    """A real `drill serve` of the fixed drill, its output in DATA/serve.out."""
    env = {**os.environ, "DRILL_DATA_DIR": str(data)}
    argv = [sys.executable, "-m", "drill", "serve", "knightmare", "--difficulty", "standard", "--seed", "1"]
    argv += ["--speed", f"{speed:g}", "--port", str(port), "--max-drills", str(drills + 2), "--pool", str(pool)]
    with open(data / "serve.out", "w") as out:  # the server holds its own copy of the descriptor
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


async def _serve_key(serve: subprocess.Popen, data: Path) -> str:
    """Wait for serve's banner; its facilitator key."""
    text = ""
    for _ in range(300):
        text = (data / "serve.out").read_text()
        if "Ctrl+C stops serving" in text:
            break
        if serve.poll() is not None:
            raise RuntimeError(f"drill serve exited:\n{text}")
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    found = re.search(r"keep it from the trainees\):\s+(\S+)", text)
    if found is None:
        raise RuntimeError(f"drill serve printed no facilitator key:\n{text}")
    return found.group(1)


def _stop_serve(serve: subprocess.Popen) -> None:
    if serve.poll() is None:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(10)


async def _open_tabs(url: str, drills: int, size: tuple[int, int], pooled: dict[int, float]) -> tuple[list, dict]:
    """As a room of teams at the facilitator's "go": every tab opened at once. `pooled`: the CPU-s
    each pre-started tab had used before (what its browser's arrival does not pay)."""
    t0 = time.perf_counter()
    results = await asyncio.gather(*(_start_tab(url, f"team-{i + 1}", *size, pooled) for i in range(drills)))
    all_up_s = time.perf_counter() - t0
    startup = [r[1] for r in results]
    first_frames = [r[2] for r in results]
    cpu = [r[3] for r in results if r[3] is not None]
    since_browser = [r[4] for r in results if r[4] is not None]
    figures = {
        "all_started_s": round(all_up_s, 1),
        "start_p50_s": round(_pct(startup, 50), 2),
        "start_max_s": round(max(startup), 2),
        "first_frame_p50_s": round(_pct(first_frames, 50), 2),
        "first_frame_max_s": round(max(first_frames), 2),
        "tab_cpu_s_to_console_p50": round(_pct(cpu, 50), 2) if cpu else None,
        "tab_cpu_s_browser_to_console_p50": round(_pct(since_browser, 50), 3) if since_browser else None,
    }
    return [r[0] for r in results], figures


async def _attach_facilitator(key: str, data: Path, drills: int):
    from drill.gameday.roster import Roster

    roster = Roster(keys=[key])
    roster.refresh_registry()
    await roster.poll()
    pids = [int(w.info["pid"]) for w in roster.watched.values()]
    assert len(pids) == drills, f"{len(pids)} drills registered, expected {drills}"
    return roster, pids


async def _to_the_incident(roster, speed: float) -> None:
    """The morning before the open is quiet; what matters is the incident. The facilitator runs
    every drill at 60x to just past the open, then back to the speed under test."""
    from drill.timefmt import parse_clock

    ids = list(roster.watched)
    await asyncio.gather(*(roster.command(i, "speed 60") for i in ids))
    while any(parse_clock(_status(roster.watched[i])["clock"]) < parse_clock(START_AT) for i in ids):
        await asyncio.sleep(0.5)
        await roster.poll()
    await asyncio.gather(*(roster.command(i, f"speed {speed:g}") for i in ids))
    await asyncio.sleep(2.0)  # let the change settle
    await roster.poll()


async def _measure(roster, tabs: list, pids: list[int], serve_pid: int, seconds: float) -> dict:
    """The figures of `seconds` at the speed under test, the facilitator polling once a second."""
    from drill.timefmt import fmt_clock

    first = await _clock_edges(roster)
    cpu0 = {pid: _cpu_s(pid) for pid in pids}
    tree0 = _tree_cpu_s(serve_pid)
    frames0 = [len(t.frames) for t in tabs]
    w0 = time.perf_counter()
    end = w0 + seconds
    echoes: list[float] = []
    probes = [asyncio.ensure_future(_echo_probe(t, end, echoes)) for t in tabs]
    while time.perf_counter() < end:
        await roster.poll()
        await asyncio.sleep(1.0)
    await asyncio.gather(*probes)
    wall = time.perf_counter() - w0
    last = await _clock_edges(roster)
    pace = [(last[i][1] - first[i][1]) / 1000 / (last[i][0] - first[i][0]) for i in first]
    return {
        "from": fmt_clock(min(c for _, c in first.values())),
        "to": max(_status(w)["clock"] for w in roster.watched.values()),
        "wall_s": round(wall, 1),
        **_health_figures([_status(w).get("health", {}) for w in roster.watched.values()]),
        "screen_updates_per_s_median": round(
            statistics.median((len(t.frames) - f0) / wall for t, f0 in zip(tabs, frames0)), 1
        ),
        **_echo_figures(echoes),
        "sim_pace_min": round(min(pace), 3),
        "sim_pace_median": round(statistics.median(pace), 3),
        "cpu_cores_used": round(sum(_cpu_s(pid) - cpu0[pid] for pid in pids) / wall, 2),
        "cpu_cores_all": round((_tree_cpu_s(serve_pid) - tree0) / wall, 2),
        "tab_cpu_s_per_sim_s": round(
            sum(_cpu_s(pid) - cpu0[pid] for pid in pids) / len(pids) / max(1e-9, statistics.median(pace) * wall), 3
        ),
    }


async def _clock_edges(roster, timeout: float = 3.0) -> dict[str, tuple[float, int]]:
    """For each drill, when its clock (whole seconds, in its status) was seen turning to a new
    second, and that second (ms). A pace between two such edges is exact to the polling interval;
    between two plain readings it was off by up to a second of sim time: 3% over 30 s.

    The clock it turns from is read here, by a poll of its own: a status left from an earlier poll
    (at the end of the measurement, up to three seconds old, while the echo probes finished) made
    the first poll "see" a turn that had happened up to a second before, so the measurement ended
    up to a second late: a pace of 0.985 for a drill that kept exact time."""
    from drill.timefmt import parse_clock

    await roster.poll()
    before = {w.drill_id: _status(w)["clock"] for w in roster.watched.values()}
    edges: dict[str, tuple[float, int]] = {}
    end = time.perf_counter() + timeout
    while len(edges) < len(before) and time.perf_counter() < end:
        await roster.poll()
        seen = time.perf_counter()
        for w in roster.watched.values():
            if w.drill_id not in edges and _status(w)["clock"] != before[w.drill_id]:
                edges[w.drill_id] = (seen, parse_clock(_status(w)["clock"]))
        await asyncio.sleep(0.02)
    for w in roster.watched.values():  # a clock that did not move (paused, ended): as it reads
        edges.setdefault(w.drill_id, (time.perf_counter(), parse_clock(_status(w)["clock"])))
    return edges


def _health_figures(health: list[dict]) -> dict:
    """Each tab's own report (its channel): event-loop lag and console frames per second."""
    sampled = [h for h in health if h.get("samples")]

    def median(key: str) -> float | None:
        return round(statistics.median(h[key] for h in sampled), 1) if sampled else None

    def worst(key: str) -> float | None:
        return round(max(h[key] for h in sampled), 1) if sampled else None

    return {
        "lag_p50_ms_median": median("lag_p50_ms"),
        "lag_p99_ms_median": median("lag_p99_ms"),
        "lag_p99_ms_worst": worst("lag_p99_ms"),
        "lag_max_ms_worst": worst("lag_max_ms"),
        "console_frames_per_s_median": median("frames_per_s"),
        "console_frames_per_s_min": round(min(h["frames_per_s"] for h in sampled), 1) if sampled else None,
    }


def _echo_figures(echoes: list[float]) -> dict:
    return {
        "echo_p50_ms": round(_pct(echoes, 50), 1),
        "echo_p95_ms": round(_pct(echoes, 95), 1),
        "echo_max_ms": round(max(echoes, default=0.0), 1),
        "echo_samples": len(echoes),
    }


def _pool_tabs(serve_pid: int) -> list[Path]:
    """The /proc entries of the pre-started tabs (the warm process's children at nice 0; its
    debrief cache warmer runs at nice 10)."""
    warm = {int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and _ppid(d) == serve_pid}
    return [d for d in Path("/proc").iterdir() if d.name.isdigit() and _ppid(d) in warm and _nice(d) == 0]


def _pool_private_mb(serve_pid: int) -> float | None:
    """The memory of its own (not shared with the warm process) of each pre-started tab, p50:
    what one more tab in the pool costs."""
    sizes = []
    for d in _pool_tabs(serve_pid):
        rollup = _read(d / "smaps_rollup").decode()
        kb = sum(int(m) for m in re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+)", rollup, re.M))
        if kb:
            sizes.append(kb / 1024)
    return round(_pct(sizes, 50), 1) if sizes else None


async def _bench(drills: int, seconds: float, speed: float, size: tuple[int, int], data: Path, pool: int) -> dict:
    width, height = size
    port = _free_port()
    os.environ["DRILL_DATA_DIR"] = str(data)  # the registry the bench reads (run() restores it)
    serve = _start_serve(data, port, drills, speed, pool)
    tabs: list = []
    try:
        key = await _serve_key(serve, data)
        import aiohttp  # noqa: F401  (the client's own import is not the tab's start-up)

        ready_s = await _wait_warm(serve.pid, data, pool)
        pool_mb = _pool_private_mb(serve.pid) if pool else None
        pooled_cpu = {int(d.name): _cpu_s(int(d.name)) for d in _pool_tabs(serve.pid)} if pool else {}
        load_at_start = round(os.getloadavg()[0], 1)
        tabs, start_figures = await _open_tabs(f"http://127.0.0.1:{port}", drills, size, pooled_cpu)
        roster, pids = await _attach_facilitator(key, data, drills)
        await _to_the_incident(roster, speed)
        measured = await _measure(roster, tabs, pids, serve.pid, seconds)
        return {
            "drills": drills,
            "speed": speed,
            "size": f"{width}x{height}",
            "cpus": os.cpu_count(),
            "serve_ready_s": round(ready_s, 1),
            "pool": pool,
            "pool_tab_private_mb_p50": pool_mb,
            "load_average_at_start": load_at_start,
            **start_figures,
            **measured,
        }
    finally:
        for t in tabs:
            try:
                await asyncio.wait_for(t.close(), 10)
            except (TimeoutError, OSError):
                pass
        _stop_serve(serve)


def run(
    drills: int = 10,
    seconds: float = 30.0,
    speed: float = 1.0,
    width: int = 120,
    height: int = 36,
    pool: int | None = None,
) -> dict:
    """`pool`: serve's --pool (default: one pre-started tab per drill, as a facilitator sizes it
    for the room)."""
    old = os.environ.get("DRILL_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="drill-gameday-bench-") as tmp:
        try:
            size = (width, height)
            return asyncio.run(_bench(drills, seconds, speed, size, Path(tmp), drills if pool is None else pool))
        finally:
            if old is None:
                os.environ.pop("DRILL_DATA_DIR", None)
            else:
                os.environ["DRILL_DATA_DIR"] = old


def report(r: dict) -> str:
    return "\n".join(
        [
            f"{r['drills']} served drills at {r['speed']:g}x, {r['size']}, {r['wall_s']} s measured on {r['cpus']} CPUs "
            f"(sim {r['from']} -> {r['to']}, the incident)",
            f"  pool             {r['pool']} tabs pre-started at their picker before the tabs opened"
            + (f", {r['pool_tab_private_mb_p50']} MB of their own each (p50)" if r["pool_tab_private_mb_p50"] else ""),
            f"  start            serve ready after {r['serve_ready_s']} s; {r['drills']} tabs opened at once, all at "
            f"their console after {r['all_started_s']} s (per tab p50 {r['start_p50_s']} s, max {r['start_max_s']} s); "
            f"load average {r['load_average_at_start']} at the start",
            f"  first frame      the picker on screen after p50 {r['first_frame_p50_s']} s, max {r['first_frame_max_s']} s; "
            f"{r['tab_cpu_s_to_console_p50']} CPU-s per tab (p50) from its fork to its console, "
            f"{r['tab_cpu_s_browser_to_console_p50']} from its browser's arrival",
            f"  event-loop lag   p50 {r['lag_p50_ms_median']} ms, p99 {r['lag_p99_ms_median']} ms (median drill), "
            f"worst drill p99 {r['lag_p99_ms_worst']} ms, max {r['lag_max_ms_worst']} ms",
            f"  console frames   {r['console_frames_per_s_median']}/s median, {r['console_frames_per_s_min']}/s slowest drill",
            f"  screen updates   {r['screen_updates_per_s_median']}/s received per tab (median)",
            f"  keystroke echo   p50 {r['echo_p50_ms']} ms, p95 {r['echo_p95_ms']} ms, max {r['echo_max_ms']} ms "
            f"({r['echo_samples']} samples)",
            f"  sim pace         {r['sim_pace_median']} sim s per wall s (slowest {r['sim_pace_min']})",
            f"  CPU              {r['cpu_cores_used']} cores for the tab processes, {r['cpu_cores_all']} with serve "
            f"and the debriefs' workers; {r['tab_cpu_s_per_sim_s']} CPU-s per tab per simulated second",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m drill.gameday.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--drills", type=int, default=10)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--pool", type=int, help="serve's --pool (default: --drills)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.drills, args.seconds, args.speed, pool=args.pool)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
