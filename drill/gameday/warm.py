"""The warm process: every served tab forked from one interpreter that has already paid for the
imports and the morning before the drill.

    python -B -m drill.gameday.warm --control FD [--scenario ID] [--difficulty NAME] [--seed N] [--speed X]

A fresh interpreter per tab spends about a second importing Textual and drill and another
simulating the pre-market before its console's first frame; twenty tabs opened at once on two
cores waited 16 s. `drill serve` starts this process once: it confines its writes to the data
directory, imports what a tab needs, runs the fixed scenario's world to the start of the drill
(once per scenario, difficulty and seed: `drill.session.session.PREMARKET`), then waits on its
control socket. Each request carries a tab's three pipes (stdin, stdout, stderr: SCM_RIGHTS) and
its terminal size; the process forks, the child becomes the tab (its own session, its own pipes)
and the parent answers with the child's pid. Nothing here opens a file or a port: the child does
that as a tab always has (drill.gameday.served).

The fork is safe because this process has no threads and no event loop when it forks, and every
random thing a tab makes (its drill id, its token) comes from os.urandom.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import traceback

MAX_REQUEST = 4096


def prepare(args: argparse.Namespace) -> None:
    """Import what a tab's first frames need, and run the fixed drill's morning once."""
    import textual.drivers.web_driver  # noqa: F401  (what TEXTUAL_DRIVER names)

    import drill.gameday.ahead
    import drill.tui.app
    import drill.tui.screens.briefing
    import drill.tui.screens.picker  # noqa: F401
    from drill.tui.startup import prepare_before_ui

    # multiprocessing's resource tracker, started once here: every forked tab finds it running
    # (its descriptor is inherited) instead of starting an interpreter of its own.
    prepare_before_ui()

    if args.scenario is None:
        return
    from drill.scenario import load
    from drill.session.session import PREMARKET
    from drill.sim.world import World

    loaded = load(args.scenario)
    spec = loaded.spec
    difficulty = args.difficulty or spec.default_difficulty
    seed = spec.seed if args.seed is None else args.seed
    world = World(spec, difficulty, seed)
    world.run_until(spec.clock.start)
    PREMARKET[(loaded.content_hash, difficulty, seed)] = world


def warm_debrief_cache(args: argparse.Namespace) -> int | None:
    """Fork one low-priority child that computes the served drill's trainee-independent debrief
    re-simulations into the shared cache (drill.debrief.warm_cache), once for the whole game day:
    each tab warms the same cache while it plays, and finds it full when its teams start late
    enough. Returns the child's pid (None when serve names no scenario)."""
    if args.scenario is None:
        return None
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()  # a process group of its own: it and its pool's workers end together
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its pool's workers are waited for
        os.nice(10)
        from drill.debrief import Runner, warm_cache

        runner = Runner(1, nice=10)
        try:
            warm_cache(args.scenario, args.difficulty, args.seed, runner=runner)
        finally:
            runner.close(wait=True)
    except BaseException:  # noqa: BLE001  (the tabs warm the cache themselves anyway)
        pass
    finally:
        # Whatever happened, nothing of this group outlives it (a pool worker left blocked on its
        # queue would stay forever, holding the resource tracker open too).
        os.killpg(0, signal.SIGKILL)
        os._exit(1)


def become_tab(
    fds: list[int], request: dict, control: socket.socket, args: argparse.Namespace, key: str | None
) -> None:
    """In the forked child: take the tab's pipes as stdin/stdout/stderr and run it. Never returns."""
    code = 1
    try:
        os.setsid()  # its own process group: drill serve stops it and anything it starts
        control.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own children (debrief workers) are waited for
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ["COLUMNS"] = str(int(request["columns"]))
        os.environ["ROWS"] = str(int(request["rows"]))
        args.pooled = bool(request.get("pooled"))  # (this child's own copy of the arguments)
        from drill.gameday.served import run

        code = run(args, key)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)


def serve_forks(control: socket.socket, args: argparse.Namespace, key: str | None) -> None:
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 3)
        except OSError:
            return
        if not msg:
            return  # drill serve has gone: so do we
        try:
            request = json.loads(msg)
            if len(fds) != 3:
                raise ValueError("expected three pipes")
            pid = os.fork()
        except (ValueError, OSError) as exc:
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"error": str(exc)}).encode())
            continue
        if pid == 0:
            become_tab(fds, request, control, args, key)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())


def main(argv: list[str] | None = None) -> int:
    from drill.gameday.served import confine, parse_args
    from drill.hosting.hosted import KEY_ENV

    key = os.environ.pop(KEY_ENV, None)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        i = argv.index("--control")
        fd = int(argv[i + 1])
    except (ValueError, IndexError):
        print("drill-warm: --control FD is required (drill serve starts this)", file=sys.stderr)
        return 2
    del argv[i : i + 2]
    args = parse_args(argv)
    confine()
    control = socket.socket(fileno=fd)
    # Children are reaped by the kernel; drill serve watches each one through a pidfd.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in serve's terminal is serve's to handle
    prepare(args)
    warmer = warm_debrief_cache(args)
    try:
        serve_forks(control, args, key)
    finally:
        if warmer is not None:  # serve has gone: a cache still warming goes too
            try:
                os.killpg(warmer, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
