"""Runbook actions as SimPy processes: each takes simulated time, then changes the world and
leaves a result a trainee would read. Refusals (a control this difficulty lacks) are results
too, never errors: the trainee learns what they do not have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drill.commands import Command
from drill.sim import orders as ob
from drill.sim.fleet import RESTING, RUNAWAY
from drill.sim.world import DONE, QUEUED, REFUSED, RUNNING, World  # noqa: F401  (the session reads them here)
from drill.timefmt import fmt_clock

LOG_LINES = 12  # the newest log lines `logs` shows, one per open parent


@dataclass
class Action:
    id: int
    command: Command
    submitted_at: int
    duration_ms: int
    status: str = RUNNING
    result: str = ""
    finished_at: int | None = None
    by: str = "trainee"  # or "facilitator"
    started_at: int | None = None  # later than submitted_at when it waited for free hands
    member: str | None = None  # on a drill worked by a crew: who of the trainee's side gave it
    role: str | None = None  # and in which role


# Why a control a difficulty lacks is refused, when the scenario tells no story of its own
# (Scenario.refusals: "there is no kill switch: nobody ever built one").
GENERIC_REFUSALS = {
    "kill-switch": "there is no kill switch",
    "diff-deploy": "there is no deploy verification tool",
    "ack": "there is no alerting system to acknowledge",
    "hint": "no hints in this difficulty",
    "rollout": "the rollout is not yours to drive here",
    "offset": "no offsetting orders can be entered here",
}
NOT_OFFERED = "this control is not available"


def refusal(world: World, cmd: Command) -> str | None:
    """Why this difficulty does not offer the command, or None when it does."""
    if cmd.verb not in world.difficulty.controls:
        why = world.spec.refusals.get(cmd.verb) or GENERIC_REFUSALS.get(cmd.verb, NOT_OFFERED)
        return f"refused: {cmd.verb}: {why} ({world.difficulty_name} difficulty)"
    return None


def start(world: World, action: Action):
    """The SimPy process for one accepted action. Where the difficulty limits how many commands
    one trainee can work at once, a command waits for free hands before its time starts."""
    handler = _HANDLERS[action.command.verb]
    if world.hands is not None and action.duration_ms:
        with world.hands.request() as turn:
            if not turn.triggered:
                action.status = QUEUED
            yield turn
            action.status, action.started_at = RUNNING, world.now
            yield from handler(world, action)
    else:
        action.started_at = world.now
        yield from handler(world, action)
    action.status = DONE
    action.finished_at = world.now


def _wait(world: World, action: Action):
    if action.duration_ms:
        yield world.env.timeout(action.duration_ms)


def _server(world: World, name: str):
    return world.fleet.servers[world.fleet.index(name)]


def _inspect(world: World, a: Action):
    yield from _wait(world, a)
    f = world.fleet
    s = _server(world, a.command.args[0])
    i = f.index(s.name)
    children, fills = world.rates.per_second(1.0)
    rel = world.spec.releases[s.release]
    open_parents = int(np.count_nonzero(world.book.server[world.book.active] == i))
    lines = [f"{s.name}: {f.state_label(s)}"]
    if world.difficulty.view.inspect == "release":
        # What logging in to the box shows: the build installed and the orders it holds, no more.
        lines += [
            f"  build     {rel.id}{', built ' + rel.built if rel.built else ''}",
            f"  parents   {s.parents_in:,} in, {open_parents:,} open",
        ]
        a.result = "\n".join(lines)
        return
    lines.append(f"  release   {rel.id}  ({rel.label}{', built ' + rel.built if rel.built else ''})")
    for flag in f.flag_names:
        on = "on" if f.flag_enabled[f.flag_names.index(flag)] else "off"
        lines.append(f"  flag {flag:<8} {on:<3} -> {f.code_path_label(s.release, flag)}")
    ratio = s.children_out / s.parents_in if s.parents_in else 0.0
    lines += [
        f"  parents   {s.parents_in:,} in, {open_parents:,} open",
        f"  children  {s.children_out:,} out, {children[i]:,.0f}/s; fills {fills[i]:,.0f}/s",
        f"  out:in    {ratio:,.1f}",
    ]
    a.result = "\n".join(lines)


def _logs(world: World, a: Action):
    yield from _wait(world, a)
    f = world.fleet
    s = _server(world, a.command.args[0])
    i = f.index(s.name)
    book = world.book
    mine = book.active[book.server[book.active] == i]
    lines = [f"{s.name} log, {fmt_clock(world.now)} (newest last):"]
    if not f.in_service(s):
        lines.append(f"  {fmt_clock(world.now)} INFO  router {f.state_label(s)}; no order flow")
    if len(mine) == 0:
        lines.append(f"  {fmt_clock(world.now)} INFO  no open parent orders")
    for pid in mine[-LOG_LINES:]:
        pid = int(pid)
        flag = int(book.flag[pid])
        flag_name = f.flag_names[flag] if flag != ob.NO_FLAG else "-"
        path = f.path[s.release, flag + 1]
        sym = world.market.symbols[int(book.symbol[pid])]
        side = "BUY" if book.side[pid] > 0 else "SELL"
        qty, sent, filled = int(book.qty[pid]), int(book.sent[pid]), int(book.filled[pid])
        if path == RUNAWAY and world.difficulty.view.logs == "labelled":
            label = f.code_path_label(s.release, flag_name)
            lines.append(
                f"  {fmt_clock(world.now)} INFO  [{label}] parent {pid} {side} {qty:,} {sym} flag={flag_name}: "
                f"child sent, {sent:,} sent, {filled:,} filled, cum_qty=n/a"
            )
        elif world.difficulty.view.logs == "raw":  # what the router printed, whichever code ran
            lines.append(
                f"  {fmt_clock(world.now)} INFO  parent {pid} {side} {qty:,} {sym} flag={flag_name}: "
                f"{sent:,} sent, {filled:,} filled"
            )
        else:
            lines.append(
                f"  {fmt_clock(world.now)} INFO  parent {pid} {side} {qty:,} {sym} flag={flag_name}: "
                f"{filled:,}/{qty:,} filled"
            )
    a.result = "\n".join(lines)


def _diff_deploy(world: World, a: Action):
    yield from _wait(world, a)
    f = world.fleet
    want = f.current
    differ = [s for s in f.servers if s.release != want]
    lines = [f"intended release: {f.release_label(want)} on all {len(f.servers)} servers"]
    for s in f.servers:
        mark = "  OK  " if s.release == want else "  DIFF"
        lines.append(f"{mark} {s.name:<10} {f.release_label(s.release)}")
    lines.append(f"{len(differ)} server(s) differ" + (": " + ", ".join(s.name for s in differ) if differ else ""))
    a.result = "\n".join(lines)


def _stop(world: World, a: Action):
    yield from _wait(world, a)
    s = _server(world, a.command.args[0])
    was = s.wanted_running
    s.wanted_running = False
    a.result = f"{s.name} stopped" if was else f"{s.name} was already stopped"


def _stop_all(world: World, a: Action):
    yield from _wait(world, a)
    for s in world.fleet.servers:
        s.wanted_running = False
    a.result = f"all {len(world.fleet.servers)} servers stopped"


def _start(world: World, a: Action):
    yield from _wait(world, a)
    s = _server(world, a.command.args[0])
    s.wanted_running = True
    note = "" if world.fleet.connected else " (but the firm is disconnected: start-all reconnects)"
    a.result = f"{s.name} started on {world.fleet.release_label(s.release)}{note}"


def _start_all(world: World, a: Action):
    yield from _wait(world, a)
    for s in world.fleet.servers:
        s.wanted_running = True
    was = world.fleet.connected
    world.fleet.connected = True
    a.result = f"all {len(world.fleet.servers)} servers started" + ("" if was else "; reconnected to the markets")


def _deploy(world: World, a: Action):
    s = _server(world, a.command.args[0])
    s.outages += 1
    s.activity = "deploying"
    yield from _wait(world, a)
    old = s.release
    s.release = world.fleet.current
    s.outages -= 1
    f = world.fleet
    if old == f.current:
        # Nothing was wrong with this server: the change cost what any change to production costs.
        world.collateral_usd += world.spec.scoring.needless_change_usd
    a.result = (
        f"{s.name}: {f.release_label(s.release)} installed (was {f.release_label(old)}); "
        f"{'back in service' if f.in_service(s) else 'left ' + f.state_label(s)}"
    )


def _rollback(world: World, a: Action):
    """A rolling revert: each server in turn restarts on the previous release."""
    f = world.fleet
    per = a.duration_ms // max(1, len(f.servers))
    for s in f.servers:
        s.outages += 1
        s.activity = "restarting"
        if per:
            yield world.env.timeout(per)
        s.release = f.previous
        s.outages -= 1
    rest = a.duration_ms - per * len(f.servers)
    if rest:
        yield world.env.timeout(rest)
    a.result = f"all {len(f.servers)} servers rolled back to {f.release_label(f.previous)}"


def _flag(world: World, a: Action, enable: bool):
    yield from _wait(world, a)
    f = world.fleet
    name = a.command.args[0]
    i = f.flag_names.index(name)
    f.flag_enabled[i] = enable
    word = "enabled" if enable else "disabled"
    a.result = f"flag {name} {word} for new orders" + ("" if enable else "; orders already carrying it keep it")


def _open_orders(world: World, a: Action):
    book, f = world.book, world.fleet
    act = book.active
    if a.command.args:
        i = f.index(a.command.args[0])
        return act[book.server[act] == i], a.command.args[0]
    return act, "all servers"


def _cancel_open(world: World, a: Action):
    yield from _wait(world, a)
    ids, where = _open_orders(world, a)
    if world.difficulty.cancel_fails and len(ids):
        # The cancel path itself is broken (as the exchange's was for Mizuho): nothing happens.
        a.result = f"cancel REJECTED for {len(ids):,} open order(s) on {where}: the exchange did not process the cancel"
        return
    hurt = world.charge_cancellations(ids)
    world.book.close(ids, ob.CANCELLED)
    a.result = f"{len(ids):,} open parent order(s) cancelled on {where}" + _customers_hurt(hurt)


def _offset(world: World, a: Action):
    """Take out the firm's own open orders by trading against them: slower than a cancel, but it
    goes through the matching engine, so it works when the cancel path does not."""
    yield from _wait(world, a)
    ids, where = _open_orders(world, a)
    book = world.book
    left = int(np.maximum(book.qty[ids] - book.filled[ids], 0).sum())
    hurt = world.charge_cancellations(ids)
    book.close(ids, ob.CANCELLED)
    a.result = (
        f"{len(ids):,} open order(s) on {where} offset: {left:,} unfilled shares taken out against your own opposite orders"
        + _customers_hurt(hurt)
    )


def _customers_hurt(n: int) -> str:
    return f"; {n:,} of them customers' orders not yet filled" if n else ""


def _rollout(world: World, a: Action):
    """Put the current release on the first N% of the fleet, one server after another."""
    f = world.fleet
    want = -(-len(f.servers) * int(a.command.args[0]) // 100)
    todo = [s for s in f.servers[:want] if s.release != f.current]
    per = a.duration_ms
    for s in todo:
        s.outages += 1
        s.activity = "deploying"
    for s in todo:
        if per:
            yield world.env.timeout(per)
        s.release = f.current
        s.outages -= 1
    on = sum(1 for s in f.servers if s.release == f.current)
    a.result = f"rollout {a.command.args[0]}%: {f.release_label(f.current)} now on {on} of {len(f.servers)} servers" + (
        f" ({', '.join(s.name for s in todo)} deployed)" if todo else " (nothing to do)"
    )


def _kill_switch(world: World, a: Action):
    yield from _wait(world, a)
    world.fleet.connected = False
    a.result = "kill switch thrown: the firm is disconnected from every market (start-all reconnects)"
    if world.spec.behaviours.cancel_on_disconnect:
        # Cancel-on-disconnect: the venue pulls the orders resting on its book for a session that
        # drops. Orders still at the firm's routers stay, but nothing routes them while disconnected.
        act = world.book.active
        resting = act[world.paths(act) == RESTING] if len(act) else act
        hurt = world.charge_cancellations(resting)
        world.book.close(resting, ob.CANCELLED)
        a.result += f"; the exchange cancelled {len(resting):,} resting order(s) on disconnect" + _customers_hurt(hurt)


def _ack(world: World, a: Action):
    yield from _wait(world, a)
    want = a.command.args[0].upper()
    for al in world.alerts:
        if al.id == want:
            if al.acked_at is None:
                al.acked_at = world.now
            a.result = f"{al.id} acknowledged: {al.label}"
            return
    a.result = f"no alert {want}"


def _hint(world: World, a: Action):
    yield from _wait(world, a)
    a.result = world.next_hint()


_HANDLERS = {
    "inspect": _inspect,
    "logs": _logs,
    "diff-deploy": _diff_deploy,
    "stop": _stop,
    "stop-all": _stop_all,
    "start": _start,
    "start-all": _start_all,
    "deploy": _deploy,
    "rollback": _rollback,
    "disable-flag": lambda w, a: _flag(w, a, False),
    "enable-flag": lambda w, a: _flag(w, a, True),
    "cancel-open": _cancel_open,
    "offset": _offset,
    "rollout": _rollout,
    "kill-switch": _kill_switch,
    "ack": _ack,
    "hint": _hint,
}  # `resolve` is the session's own (Session._resolve): it ends the trainee's part at once
