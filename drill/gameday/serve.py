"""`drill serve`: the console in a browser. Every tab (every websocket) is its own drill:
textual-serve starts one app process per connection (`python -m drill.gameday.served`).

Loopback by default; any other address is the user's explicit choice, and the banner says so in
capitals. The page is our own (no third-party fonts or scripts: a training room may be offline and
a trainee's browser should call nothing but this server). The websocket accepts only same-origin
browsers, and on loopback only loopback host names (a page from elsewhere, even one that rebinds
its name to 127.0.0.1, cannot drive drills on this machine), and at most `max_drills` tabs at once
(each is a process).
"""

from __future__ import annotations

import os
import shlex
import sys

from drill.gameday.defaults import DEFAULT_HOST, DEFAULT_MAX_DRILLS, DEFAULT_POOL, DEFAULT_PORT
from drill.gameday.protocol import GRACE_S, ServeOptions, is_loopback
from drill.hosting.channel import new_token
from drill.hosting.hosted import KEY_ENV, fingerprint
from drill.scenario.loader import printable


def served_args(
    scenario: str | None, difficulty: str | None, seed: int | None, speed: float, ranked: bool = False
) -> list[str]:
    argv = ["--speed", f"{speed:g}"] + (["--ranked"] if ranked else [])
    if scenario is not None:
        argv += ["--scenario", scenario]
    if difficulty is not None:
        argv += ["--difficulty", difficulty]
    if seed is not None:
        argv += ["--seed", str(seed)]
    return argv


def served_command(
    scenario: str | None, difficulty: str | None, seed: int | None, speed: float, ranked: bool = False
) -> str:
    """The shell command textual-serve runs per tab. It carries no secret (the key travels in the
    environment) and no path but the interpreter's."""
    return shlex.join(
        [sys.executable, "-B", "-m", "drill.gameday.served", *served_args(scenario, difficulty, seed, speed, ranked)]
    )


def make_server(
    command: str,
    host: str,
    port: int,
    public_url: str | None = None,
    max_drills: int = DEFAULT_MAX_DRILLS,
    title: str = "drill",
    *,
    args: list[str] | None = None,
    warm: bool = True,
    grace_s: float = GRACE_S,
    pool: int = 0,
):
    """A textual-serve Server with our page, our tab processes (drill.gameday.tabs: bounded sizes,
    bounded stops, re-attachable within `grace_s`), Host and Origin checks and a cap on tabs;
    `pool` tabs started ahead of their browsers. (aiohttp and textual-serve are imported here:
    only serving needs them.)"""
    from drill.gameday.server import DrillServer

    options = ServeOptions(
        command, host, port, public_url, max_drills, title, tuple(args or ()), warm, grace_s, min(pool, max_drills)
    )
    return DrillServer(options)


def banner(
    host: str,
    port: int,
    key: str,
    command_args: dict,
    data: str,
    public_url: str | None,
    max_drills: int,
    results: str | None = None,
) -> str:
    shown = f"[{host}]" if ":" in host else host
    url = public_url or f"http://{shown}:{port}"
    what = command_args.get("scenario") or "any bundled scenario (the picker)"
    if command_args.get("scenario"):
        what += f" · {command_args.get('difficulty') or 'its default difficulty'}"
        what += f" · seed {command_args['seed']}" if command_args.get("seed") is not None else " · its default seed"
        if command_args.get("ranked"):
            what += " (hidden from the trainees; give it to other hosts with --seed)"
    lines = []
    if not is_loopback(host):
        rule = "!" * 78
        lines += [
            rule,
            f"!! NOT LOOPBACK: drill serve is listening on {host}:{port}.",
            "!! Anyone who can reach this machine on that port can open the page and start drills",
            "!! (each a process, journals and results in this data directory). There is no login.",
            "!! You chose this with --host; use it only on a network you trust.",
            rule,
        ]
    lines += [
        f"drill serve: {url}  (every browser tab is its own drill; at most {max_drills} at once)",
        f"  drill       {what}, speed {command_args.get('speed', 1.0):g}x"
        + (" · RANKED: only the facilitator pauses or changes the speed" if command_args.get("ranked") else ""),
        f"  data        {printable(data)}  (journals, results, the running drills' registry)",
        *(
            [f"  results     {printable(results)}  (every tab records here; drills register and take commands here)"]
            if results
            else []
        ),
        "  facilitator key (shown once, stored nowhere; keep it from the trainees):",
        f"              {key}",
        "  facilitate  in another terminal on this machine: drill facilitate, then type the key",
        "Ctrl+C stops serving (and every drill still running).",
    ]
    return "\n".join(lines)


def check_bindable(host: str, port: int) -> None:
    """Fail (OSError) before printing a key for a server that cannot listen."""
    import socket

    family, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        s.bind(addr)


def serve(
    scenario: str | None,
    difficulty: str | None,
    seed: int | None,
    speed: float,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    public_url: str | None = None,
    max_drills: int = DEFAULT_MAX_DRILLS,
    ranked: bool = False,
    grace_s: float | None = None,
    results: str | None = None,
    pool: int = DEFAULT_POOL,
) -> int:
    """`results`: the shared results store, as shown (its password masked), when one was named;
    `pool`: tabs started ahead of their browsers (at most `max_drills`)."""
    from drill.paths import data_dir

    check_bindable(host, port)
    if ranked and seed is None:
        # A scenario's own seed is published with it, and with the seed its hidden fault: a
        # ranked game day plays one nobody knows (the banner shows it, for other hosts).
        from drill.seeds import drawn_seed

        seed = drawn_seed()
    key = new_token()
    # Each tab's process inherits the environment (textual-serve copies it) and removes the key
    # from its own at once; nothing else reads it.
    os.environ[KEY_ENV] = key
    root = data_dir().expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ["DRILL_DATA_DIR"] = str(root)
    command = served_command(scenario, difficulty, seed, speed, ranked)
    server = make_server(
        command,
        host,
        port,
        public_url,
        max_drills,
        args=served_args(scenario, difficulty, seed, speed, ranked),
        grace_s=GRACE_S if grace_s is None else grace_s,
        pool=pool,
    )
    print(
        banner(
            host,
            port,
            key,
            {"scenario": scenario, "difficulty": difficulty, "seed": seed, "speed": speed, "ranked": ranked},
            str(root),
            public_url,
            max_drills,
            results,
        ),
        flush=True,
    )
    print(f"  (key fingerprint {fingerprint(key)}: the registry names it, the facilitator app shows it)", flush=True)
    server.serve()
    return 0
