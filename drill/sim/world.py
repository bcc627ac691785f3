"""The SimPy world of one drill: order flow, the router fleet, the market, the firm's ledger,
telemetry and the scenario's timeline. Actions (drill/sim/actions.py) change it through methods
here. Nothing in this package reads the wall clock or imports a UI library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from drill.scenario.schema import Difficulty, Scenario
from drill.sim import orders as ob
from drill.sim.binomial import SmallBinomial
from drill.sim.fleet import FAULTY, HEALTHY, OVERFILL, POV, RESTING, RUNAWAY, Fleet
from drill.sim.ledger import Ledger
from drill.sim.market import Market
from drill.sim.rng import stream
from drill.sim.telemetry import Alert, Curve, FlowRates, Message, RiskMonitor, Tape

TICK_MS = 1000
# What ndarray.sum() and .any() call, without their Python wrappers: a trading tick makes a dozen
# such reductions on small arrays, where the wrapper costs as much as the work.
_sum, _any = np.add.reduce, np.logical_or.reduce
TAPE_PER_TICK = 6
# How often the coach looks whether the trainee is stuck: a hint arrives at most this late after
# Difficulty.stuck_hint_after_s (at least 10 s) has passed. Journals replay only at this value.
COACH_POLL_MS = 5_000
# An action's status (drill.sim.actions.Action): the world reads it to tell what the trainee ran.
QUEUED, RUNNING, DONE, REFUSED = "queued", "running", "done", "refused"


@dataclass
class Incident:
    """The incident's state machine, advanced once per tick from the world's state."""

    first_error_at: int | None = None
    last_error_at: int | None = None
    hazard: bool = True
    hazard_cleared_at: int | None = None
    phases: list[tuple[int, str]] = field(default_factory=list)  # (at, "incident"/"contained"/"re-opened"/"recovered")


def pick_missed(spec: Scenario, seed: int) -> list[str]:
    """The servers that missed the deploy: the scenario's own under its seed, else moved by the seed."""
    if seed == spec.seed or not spec.deploy.move_with_seed or not spec.deploy.missed:
        return list(spec.deploy.missed)
    rng = stream(seed, "deploy")
    picks = rng.choice(len(spec.fleet.servers), size=len(spec.deploy.missed), replace=False)
    return [spec.fleet.servers[i] for i in sorted(picks)]


def faulty_placeholders(missed: list[str]) -> dict[str, str]:
    """What scenario text may write for the truth of a seed's variant, the same in plays, hints,
    lessons and the timeline's messages: {faulty_server} is the first server that missed the
    deploy ("none" when none did), {faulty_server_N} the N-th."""
    subs = {"{faulty_server}": missed[0] if missed else "none"}
    for i, name in enumerate(missed, 1):
        subs[f"{{faulty_server_{i}}}"] = name
    return subs


def fill_placeholders(text: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        text = text.replace(key, value)
    return text


def order_times(spec: Scenario, seed: int) -> list[int]:
    """When each scheduled order arrives under this seed: at its time under the scenario's own
    seed, moved by up to its jitter in every variant (so nobody can time a reply to it)."""
    rng = stream(seed, "orders")
    times = []
    for o in spec.orders:
        at = o.at
        if seed != spec.seed and o.jitter_s:
            at = int(
                np.clip(
                    at + int(rng.integers(-o.jitter_s, o.jitter_s + 1)) * 1000, spec.clock.world_start, spec.clock.end
                )
            )
        times.append(at)
    return times


# A timeline message as planned: (at, kind, sender, subject, body, signal).
Planned = tuple[int, str, str, str, str, bool]


@dataclass
class FlowDraws:
    """One flow's orders for the whole drill, drawn up front (World._draw_flow)."""

    first: int  # the first tick boundary at or after the flow starts
    counts: np.ndarray  # arrivals per tick from `first`
    pick_server: np.ndarray  # per order, a uniform draw that picks its server by routing weight
    symbols: np.ndarray
    sides: np.ndarray
    qty: np.ndarray
    customers: np.ndarray
    flag: int
    account: int


def _route(routing: tuple[np.ndarray, np.ndarray], pick: np.ndarray, start: int) -> np.ndarray:
    """The server of every order from `start` on, had each arrived under this routing (the rows
    before `start` are left unset: they arrived under another)."""
    serving, share = routing
    routed = np.zeros(len(pick), dtype=np.int64)
    at_share = pick[start:] * share[-1]
    routed[start:] = serving[np.minimum(np.searchsorted(share, at_share, side="right"), len(serving) - 1)]
    return routed


_FAULTY_PATHS = np.flatnonzero(FAULTY).tolist()  # the codes of the paths that send erroneous orders


def _faulty(path: np.ndarray, on_path: list[int], runaway: np.ndarray | None) -> np.ndarray | None:
    """FAULTY[path], the parents on a path that sends erroneous orders, or None when none is. In
    the usual tick the runaway path is the only faulty one present, and its mask is made already:
    no lookup per parent."""
    faulty_here = sum([on_path[c] for c in _FAULTY_PATHS])
    if faulty_here == 0:
        return None
    if faulty_here == on_path[RUNAWAY]:
        return runaway
    return FAULTY[path]


class World:
    def __init__(self, spec: Scenario, difficulty: str, seed: int):
        self.spec = spec
        self.difficulty_name = difficulty
        self.difficulty: Difficulty = spec.difficulties[difficulty]
        self.seed = seed
        self.env = simpy.Environment(initial_time=spec.clock.world_start)
        self.clock = spec.clock
        self.missed = pick_missed(spec, seed)
        self.market = Market(spec.market, stream(seed, "market"), TICK_MS)
        self.fleet = Fleet.build(spec, self.missed)
        self.book = ob.ParentBook()
        self.ledger = Ledger(self.market, spec.market.haircut_pct)
        self._init_telemetry()
        self.incident = Incident()
        # Noise by seed: servers do not carry equal shares of the flow, so a busy or quiet server
        # is not by itself the odd one out.
        spread = spec.fleet.routing_spread_pct / 100
        self.route_weight = 1 + stream(seed, "routing").uniform(-spread, spread, size=len(spec.fleet.servers))
        # One trainee has two hands: where the difficulty limits them, commands wait their turn.
        ops = self.difficulty.operators
        self.hands = simpy.Resource(self.env, capacity=ops) if ops else None
        self.halted_at: int | None = None  # set when bankruptcy ends a scenario that ends on it
        self.actions_log: list = []  # drill.sim.actions.Action, in submission order
        self._init_totals()
        self._init_tick_state()
        self.incident.hazard = self.hazard()  # a scenario may start with no live fault at all
        self._start_processes()

    def _init_telemetry(self) -> None:
        """What the firm's screens show: rates, the risk monitor, the tape, the curve, the inbox."""
        spec = self.spec
        self.rates = FlowRates(len(self.fleet.servers), self._parents_per_server)
        rm = self.difficulty.risk_monitor
        self.monitor = RiskMonitor(spec.market.universe, rm.capacity_execs_per_s, rm.base_lag_s, TICK_MS)
        self._rng_tape = stream(self.seed, "tape")
        self.tape = Tape(
            self.fleet.names,
            self.market.symbols,
            spec.market.lot_shares,
            self._rng_tape,
            self._tape_chunk,
            TAPE_PER_TICK,
        )
        self.curve = Curve()
        self.messages: list[Message] = []
        self.alerts: list[Alert] = []
        self._alerted: set[tuple[str, str]] = set()

    def _init_totals(self) -> None:
        """What the drill has cost and sent so far, for scoring and calibration."""
        self.collateral_usd = 0.0
        self.cancelled_customer_orders = 0  # customers' orders cancelled or offset before they were filled as meant
        self.runaway_executions = 0  # of the erroneous (runaway) flow
        self.runaway_shares = 0
        self.total_sent_shares = 0
        self.total_filled_shares = 0
        self.customer_shares = 0
        self.firm_shares = 0
        self.loss_usd = 0.0
        self.max_move_bps = 0.0  # the furthest the firm's flow pushed any price from fair

    def _init_tick_state(self) -> None:
        """The tick's random streams, constants and what it keeps between ticks."""
        spec = self.spec
        self._opened = False
        self._rng_fill = stream(self.seed, "fills")
        self._rng_timeline = stream(self.seed, "timeline")
        self._lot = spec.market.lot_shares
        self._p_fill = spec.market.fill_probability
        self._fill_draws = SmallBinomial(self._rng_fill, self._p_fill)  # rng_fill.binomial's, in fewer calls
        self._route_lots = spec.behaviours.route_child_lots_per_s * TICK_MS // 1000
        self._runaway_lots = spec.behaviours.runaway_child_lots_per_s * TICK_MS // 1000
        # Read-only zeros for the ticks with nothing to book (never written to: push copies).
        self._zeros_srv = np.zeros(len(self.fleet.servers), np.int64)
        self._zeros_sym = np.zeros(len(self.market.fair), np.int64)
        self._zeros_srv.flags.writeable = False
        self._zeros_sym.flags.writeable = False
        self._partial_paths = bool(self.fleet.mod_m.any())  # a path for some customers only
        self._mistyped = np.zeros(0, np.int64)  # customers' parents booked for more than was meant
        self._routing_for: np.ndarray | None = None  # the in-service mask _routing_cache was built for
        self._routing_cache: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0))
        self._routing_version = -1  # the fleet's version _routing_cache was last checked at
        self._fleet_version = -1  # the fleet's version _fleet_state holds (_fleet_now)
        self._fleet_state = (False, False, 0.0)
        self._parents_counted = 0  # book rows counted into the rates and the servers' totals
        self._path_of = np.zeros(0, dtype=np.int8)  # per parent, its code path as of _paths_version
        self._paths_version = -1
        self._paths_upto = 0  # book rows whose path _path_of holds
        self.fleet.tally.count_parents = self._count_arrivals

    def _start_processes(self) -> None:
        """The world's SimPy processes, always in this order (their order of creation is the
        order of their events at one instant, which journals replay)."""
        self._schedule_timeline()
        for flow in self.spec.flows:
            self.env.process(self._flow(flow))
        if self.spec.orders:
            self.env.process(self._orders())
        self.env.process(self._ticker())
        if self.difficulty.hints and self.difficulty.stuck_hint_after_s:
            self.env.process(self._coach())

    @property
    def runaway_parents(self) -> int:
        """Parents that sent erroneous orders (a parent is marked so once, and stays so)."""
        return int(np.count_nonzero(self.book.runaway[: self.book.n]))

    # -- time ---------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return int(self.env.now)

    def run_until(self, at: int) -> None:
        if at > self.env.now:
            self.env.run(until=at)

    def market_open(self) -> bool:
        return self.clock.open <= self.env.now

    # -- flows --------------------------------------------------------------------------------
    def _draw_flow(self, flow) -> FlowDraws:
        """Everything random about one flow's orders, drawn up front in whole arrays."""
        rng = stream(self.seed, f"flow:{flow.name}")
        lo, hi = flow.qty_lots
        first = -(-flow.start // TICK_MS) * TICK_MS  # first tick boundary at or after the start
        n_ticks = max(0, (flow.end - first) // TICK_MS)
        counts = rng.poisson(flow.rate_per_min * TICK_MS / 60_000, size=n_ticks)
        total = int(counts.sum())
        pick_server = rng.random(total)
        if flow.symbols:
            allowed = np.array([self.market.index(n) for n in flow.symbols])
            symbols = allowed[rng.integers(0, len(allowed), size=total)]
        else:
            symbols = rng.integers(0, self.spec.market.universe, size=total)
        if self.spec.market.side_by_symbol:
            sides = self.market.symbol_side[symbols]
        else:
            sides = np.where(rng.random(total) < self.spec.market.buy_fraction, 1, -1).astype(np.int8)
        qty = rng.integers(lo, hi + 1, size=total) * self._lot
        return FlowDraws(
            first=first,
            counts=counts,
            pick_server=pick_server,
            symbols=symbols,
            sides=sides,
            qty=qty,
            customers=stream(self.seed, f"customers:{flow.name}").integers(0, flow.customers, size=total),
            flag=self.fleet.flag_names.index(flow.flag) if flow.flag else ob.NO_FLAG,
            account=ob.FIRM if flow.account == "firm" else ob.CUSTOMER,
        )

    def _flow(self, flow):
        """Parent orders of one flow: Poisson arrivals, counted per tick, routed to a server in
        service. A tick with arrivals only slices the flow's draws (routed for the fleet as it
        stands, again only when the servers in service change); empty ticks are skipped."""
        d = self._draw_flow(flow)
        env, book, opens = self.env, self.book, self.clock.open
        routed_by: tuple | None = None
        source = None  # the draws as routed by `routed_by`
        done = 0
        ticks = np.flatnonzero(d.counts)  # as plain ints: the loop runs once per arrival
        now = int(env.now)
        for at, count in zip((d.first + ticks * TICK_MS).tolist(), d.counts[ticks].tolist()):
            if at > now:
                yield env.timeout(at - now)
                now = at  # where the timeout ends, exactly (times are whole milliseconds)
            if self.halted_at is not None:
                return
            start, done = done, done + count
            routing = self._routing()
            if len(routing[0]) == 0:
                continue  # nobody to take them: business lost (scored per server-minute off)
            if routed_by is not routing:
                routed_by = routing
                routed = _route(routing, d.pick_server, start)
                source = ob.Drawn(routed, d.symbols, d.sides, d.qty, d.customers, d.account)
            # The upstream system sets the flag on new orders only while it is enabled.
            f = d.flag if d.flag != ob.NO_FLAG and self.fleet.flag_enabled[d.flag] else ob.NO_FLAG
            book.arrive(now, source, start, done, f, ob.WORKING if opens <= now else ob.PENDING)

    def _count_arrivals(self) -> None:
        """Count the parents booked since the last count into the servers' totals. Parents are
        booked in the order they arrive, so they are the book's newest rows; counting them when
        a total is asked for costs one bincount, not one per arrival or per tick."""
        n, counted = self.book.n, self._parents_counted
        if n > counted:
            self.fleet.tally.parents += self._parents_per_server(counted, n)
            self._parents_counted = n

    def _parents_per_server(self, start: int, stop: int) -> np.ndarray:
        """Parents in per server among the book's rows [start, stop)."""
        return np.bincount(self.book.server[start:stop], minlength=len(self.fleet.servers))

    def _routing(self) -> tuple[np.ndarray, np.ndarray]:
        """The servers in service and their cumulative routing weights, rebuilt only when the
        fleet's in-service mask changes (the fleet caches the mask, so its identity says so).
        Asked at every arrival: while the fleet's version stands, the mask does too."""
        version = self.fleet.tally.version
        if version == self._routing_version:
            return self._routing_cache
        mask = self.fleet.in_service_mask()
        if self._routing_for is not mask:
            serving = np.flatnonzero(mask)
            self._routing_cache = (serving, np.cumsum(self.route_weight[serving]))
            self._routing_for = mask
        self._routing_version = version
        return self._routing_cache

    def _orders(self):
        """The scenario's scheduled one-off orders (a sell program, a mistyped ticket)."""
        planned = sorted(zip(order_times(self.spec, self.seed), self.spec.orders), key=lambda p: p[0])
        for at, o in planned:
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            self._book_order(o)
            if o.warning:
                self.messages.append(
                    Message(
                        len(self.messages) + 1,
                        self.now,
                        "email",
                        "Order entry",
                        f"Warning on order {o.name}",
                        self._fill(o.warning),
                    )
                )

    def _book_order(self, o) -> None:
        """One scheduled order into the book (the flag only while the upstream system sets it)."""
        flag = self.fleet.flag_names.index(o.flag) if o.flag else ob.NO_FLAG
        if flag != ob.NO_FLAG and not self.fleet.flag_enabled[flag]:
            flag = ob.NO_FLAG
        intended = o.qty if o.intended_qty is None else o.intended_qty
        ids = self.book.add(
            self.now,
            np.array([self.fleet.index(o.server)]),
            np.array([self.market.index(o.symbol)]),
            np.array([1 if o.side == "buy" else -1]),
            np.array([flag]),
            np.array([o.qty]),
            ob.WORKING if self.market_open() else ob.PENDING,
            intended=np.array([intended]),
            account=ob.FIRM if o.account == "firm" else ob.CUSTOMER,
        )
        if o.qty > intended and o.account != "firm":
            self._mistyped = np.concatenate((self._mistyped, ids))

    # -- the market tick ------------------------------------------------------------------------
    def _ticker(self):
        env, opens, ledger, alerts = self.env, self.clock.open, self.ledger, self.difficulty.alerts
        rates, monitor, book = self.rates, self.monitor, self.book  # read every tick, changed never
        bankrupt_at = self.spec.firm.capital_usd if self.spec.scoring.ends_on_bankruptcy else None
        now = int(env.now)
        while True:
            yield env.timeout(TICK_MS)
            now += TICK_MS  # where the timeout ends, exactly
            if now > opens:
                n_exec = self._market_tick(now)
            else:  # the market closed: only the parents that arrived
                rates.push_idle(book.n)
                n_exec = 0
            monitor.record(now, n_exec, ledger.position if ledger.booked else None)
            self._update_incident(now)
            if alerts:
                self._check_alerts(now)
            if bankrupt_at is not None and self.loss_usd > bankrupt_at:
                self.halted_at = now  # the firm is gone: nothing more trades
                return

    def _market_tick(self, now: int) -> int:
        if not self._opened:
            self._opened = True  # orders queued for the opening auction start working
            self.book.state[self.book.active] = ob.WORKING
        self.market.walk()
        n_exec = self._trade(now)
        self._charge_collateral()
        return n_exec

    def paths(self, ids: np.ndarray) -> np.ndarray:
        """The code path each parent takes now: its server's release and the flag it carries
        (and, for paths that apply to some customers only, its customer id)."""
        return self._paths(ids, self.book.server[ids])

    def _paths(self, ids: np.ndarray | slice, servers: np.ndarray) -> np.ndarray:
        fleet, book = self.fleet, self.book
        rel = fleet.release_of()[servers]
        col = book.flag[ids] + 1
        path = fleet.path[rel, col]
        if self._partial_paths:
            m = fleet.mod_m[rel, col]
            partial = m > 0
            if partial.any():
                miss = partial & (book.customer[ids] % np.maximum(m, 1) != fleet.mod_r[rel, col])
                path = np.where(miss, HEALTHY, path)
        return path

    def _active_paths(self, act: np.ndarray) -> np.ndarray:
        """The code path of every active parent, kept per parent between ticks: worked out when
        a parent arrives, and for all the active ones again only when the fleet changes."""
        book, version = self.book, self.fleet.tally.version
        if len(self._path_of) < book.n:
            grown = np.zeros(max(book.n, 2 * len(self._path_of)), dtype=np.int8)
            grown[: len(self._path_of)] = self._path_of
            self._path_of = grown
        if version != self._paths_version:
            self._path_of[act] = self._paths(act, book.server[act])
            self._paths_version = version
        elif book.n - self._paths_upto <= 3 and not self._partial_paths:
            self._few_paths(self._paths_upto, book.n)
        elif book.n > self._paths_upto:
            new = slice(self._paths_upto, book.n)
            self._path_of[new] = self._paths(new, book.server[new])
        self._paths_upto = book.n
        return self._path_of[act]

    def _few_paths(self, start: int, stop: int) -> None:
        """`_paths` of the rows [start, stop) one by one (a tick brings a parent or two: four
        array calls cost more than a lookup each), where no path applies to some customers only."""
        book, release, table = self.book, self.fleet.release_of(), self.fleet.path
        for j in range(start, stop):
            self._path_of[j] = table[release[book.server[j]], book.flag[j] + 1]

    def _can_trade(self, ids: np.ndarray, path: np.ndarray) -> np.ndarray:
        """Routed orders trade while their server is in service; an order resting at the exchange
        trades whatever the firm's servers do, until its symbol is halted."""
        routed = self.fleet.in_service_mask()[self.book.server[ids]]
        resting = ~self.market.halted[self.book.symbol[ids]]
        return np.where(path == RESTING, resting, routed)

    def _live_parents(self, act: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(ids, servers, symbols, paths) of the active parents that trade this tick
        (`_can_trade`, and nothing in a halted symbol), or None when none does. When every
        server is in service and no symbol halted, the usual tick, that costs no masking at all."""
        book = self.book
        path = self._active_paths(act)
        srv, sym = book.server[act], book.symbol[act]
        if self._fleet_now()[1] and not self.market.any_halted:
            return act, srv, sym, path
        live = self.fleet.in_service_mask()[srv] | (path == RESTING)
        if self.market.any_halted:
            live &= ~self.market.halted[sym]
        if not live.any():
            return None
        return act[live], srv[live], sym[live], path[live]

    def _idle_tick(self) -> int:
        self.rates.push_idle(self.book.n)
        self.market.record_flow(self._zeros_sym)
        return 0

    def _trade(self, now: int) -> int:
        """One tick of the router: every live parent's children and fills, as arrays over the
        active parents (a few dozen to a few thousand), with as few numpy calls as the model
        allows: per-tick Python overhead, not the arithmetic, is what a tick costs."""
        act = self.book.active
        live = self._live_parents(act) if len(act) else None
        if live is None:
            return self._idle_tick()
        ids, srv, sym, path = live
        qty, _, filled, sent = self.book.quantities(ids)
        parents = (qty, filled, np.maximum(qty - filled, 0), sent)  # the third: shares still to fill
        # Each code path decides how many lots it sends this tick.
        on_path = np.bincount(path, minlength=len(FAULTY)).tolist()  # as ints: read a few times
        runaway = path == RUNAWAY if on_path[RUNAWAY] else None  # the parents that never look at fills
        children = self._children(now, ids, sym, path, on_path, parents, runaway)
        fills = self._fill_draws.draw(children)
        if on_path[RESTING]:
            fills = np.where(path == RESTING, children, fills)  # a resting order's children are its matches
        erroneous, firm, any_error = self._fill_parents(ids, path, on_path, parents, children, fills, runaway)
        # A runaway parent sends its lots every tick, and its orders are erroneous.
        runaway_sent = bool(on_path[RUNAWAY]) and self._runaway_lots > 0
        n_children, n_fills = self._count_tick(
            now, srv, children, fills, erroneous if any_error else None, runaway_sent
        )
        self._book_firm(now, ids, sym, firm)
        self.tape.record(
            n_children,
            len(ids),
            (
                now,
                ids,
                srv,
                children,
                fills,
                erroneous,
                n_children,
                self.market.fair,  # new arrays every tick (Market.walk): kept as they are
                self.market.pressure,
            ),
        )
        return n_fills

    def _children(self, now, ids, sym, path, on_path, parents, runaway) -> np.ndarray:
        """How many lots each live parent sends this tick, by its code path. `parents`: their
        (qty, filled, remaining, sent) shares; `runaway`: the mask of those on the runaway path."""
        spec, lot = self.spec, self._lot
        qty, filled, remaining, _ = parents
        remaining_lots = remaining // lot
        children = np.minimum(remaining_lots, self._route_lots)  # healthy: stops when filled
        if runaway is not None:
            children = np.where(runaway, self._runaway_lots, children)  # never looks at fills
        if on_path[OVERFILL]:
            over = np.maximum(np.ceil(qty * spec.behaviours.overfill_factor) - filled, 0) // lot
            children = np.where(path == OVERFILL, np.minimum(over, self._route_lots), children)
        if on_path[POV]:
            target = spec.behaviours.pov_participation * self.market.volume_last_window(sym) / lot
            children = np.where(path == POV, np.minimum(remaining_lots, np.maximum(1, np.round(target))), children)
        if on_path[RESTING]:
            minutes = (now - self.book.arrived[ids]) / 60_000
            appetite = spec.behaviours.resting_absorb_lots_per_s * (
                1 + spec.behaviours.resting_absorb_growth_per_min * minutes
            )
            take = self._rng_fill.poisson(appetite * TICK_MS / 1000)
            children = np.where(path == RESTING, np.minimum(remaining_lots, take), children)
        # Whole lots; only the overfill and participation paths compute them as floats.
        return children if children.dtype == np.int64 else children.astype(np.int64)

    def _fill_parents(
        self, ids, path, on_path, parents, children, fills, runaway
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Book the tick's children and fills on the parents; close those done. `parents`: their
        (qty, filled, remaining, sent) before the tick. Returns, per parent, whether its orders were
        erroneous and the shares that went to the firm; and whether any parent's were erroneous."""
        book, lot = self.book, self._lot
        qty, filled = parents[0], parents[1]
        fill_sh = fills * lot
        after = filled + fill_sh
        customer, erroneous = self._split_fills(ids, _faulty(path, on_path, runaway), parents, fill_sh, after)
        book.sent[ids] = parents[3] + children * lot
        book.filled[ids] = after
        any_error = bool(_any(erroneous))
        if any_error:
            book.runaway[ids[erroneous]] = True
        if on_path[OVERFILL]:
            done = np.where(
                path == OVERFILL, after >= np.ceil(qty * self.spec.behaviours.overfill_factor), after >= qty
            )
        else:
            done = after >= qty
        if runaway is not None:
            done = np.greater(done, runaway)  # done and not on the runaway path, in one call
        if _any(done):
            book.close_done(ids, done, ob.DONE)
        self.customer_shares += int(_sum(customer))
        return erroneous, fill_sh - customer, any_error

    def _split_fills(self, ids, faulty, parents, fill_sh, after) -> tuple[np.ndarray, np.ndarray]:
        """(the customer's shares of each parent's fills this tick, whether its orders were
        erroneous). Fills up to what was meant belong to the customer; beyond it, and all of a
        firm-account order, to the firm's own account. `faulty`: `_faulty`'s mask."""
        qty, filled, remaining, _ = parents
        if self.book.plain:  # every parent a customer's, for what was meant: qty is what was meant
            # min(after, qty) - min(filled, qty), in whole shares: the fill, up to what was left
            beyond = after > qty
            return np.minimum(fill_sh, remaining), beyond if faulty is None else faulty | beyond
        intended = self.book.intended[ids]
        firm_account = self.book.account[ids] == ob.FIRM
        customer = np.where(firm_account, 0, np.minimum(after, intended) - np.minimum(filled, intended))
        beyond = (after > intended) & ~firm_account
        return customer, beyond if faulty is None else faulty | beyond

    def _count_tick(self, now, srv, children, fills, erroneous, runaway_sent) -> tuple[int, int]:
        """The tick's children and fills per server and in all, erroneous ones apart (`erroneous`:
        the mask of parents whose orders were, None when none's were; `runaway_sent`: whether a
        runaway parent sent orders, which are erroneous); returns (children, fills) in all."""
        n_srv, lot = len(self.fleet.servers), self._lot
        # Per server, as floats holding whole numbers: the rates' integer rows take them as they are.
        srv_errors = self._zeros_srv
        any_error = erroneous is not None
        if any_error:
            srv_errors = np.bincount(srv, weights=fills * erroneous, minlength=n_srv)
        sent = self.rates.push(  # (children, fills) per server, as two integer rows
            np.bincount(srv, weights=children, minlength=n_srv),
            np.bincount(srv, weights=fills, minlength=n_srv),
            srv_errors,
            self.book.n,
        )
        self.fleet.tally.sent += sent
        n_children, n_fills = _sum(sent, 1).tolist()
        self.total_sent_shares += n_children * lot
        self.total_filled_shares += n_fills * lot
        if any_error:
            n_errors = int(_sum(srv_errors))
            self.runaway_executions += n_errors
            self.runaway_shares += n_errors * lot
            if runaway_sent or np.dot(children, erroneous):  # children are >= 0: some erroneous parent sent one
                if self.incident.first_error_at is None:
                    self.incident.first_error_at = now
                self.incident.last_error_at = now
        return n_children, n_fills

    def _book_firm(self, now: int, ids: np.ndarray, sym: np.ndarray, firm: np.ndarray) -> None:
        """The firm's own fills into its ledger and the market's prices; the loss they leave."""
        firm_shares = int(_sum(firm))  # each parent's is >= 0 (its fill less the customer's part)
        if firm_shares:
            self.firm_shares += firm_shares
            flow = np.bincount(sym, weights=firm * self.book.side[ids], minlength=len(self.market.fair)).astype(
                np.int64
            )
            through = self.market.displacement_through(flow)
            self.ledger.book(flow, through[1][0])
            self.market.record_flow(flow, through)
        else:
            self.market.record_flow(self._zeros_sym)
        self.max_move_bps = max(self.max_move_bps, self.market.last_max_move * 1e4)
        self.loss_usd = self.ledger.loss_usd()
        if self.curve.due(now):
            self.curve.maybe_add(now, self.loss_usd, self.ledger.inventory_abs_usd)  # as loss_usd left it

    def _tape_chunk(self, tick: tuple, pick_draws: np.ndarray, fill_draws: np.ndarray) -> tuple:
        """A few of one tick's child orders for the tape, drawn in proportion to what each parent
        sent, priced as the market stood after the tick (Tape samples a tick when it is shown)."""
        now, ids, srv, children, fills, erroneous, total, fair, pressure = tick
        picks = np.searchsorted(np.cumsum(children), np.sort(pick_draws) * total, side="right")
        pids = ids[picks]
        syms = self.book.symbol[pids]
        sides = self.book.side[pids].astype(np.int64)
        prices = self.market.exec_price(syms, sides, pressure[syms], fair)
        filled = fill_draws < fills[picks] / children[picks]
        return (now, srv[picks], pids, syms, sides, prices, filled, erroneous[picks])

    def _charge_collateral(self) -> None:
        self.collateral_usd += self._fleet_now()[2] * TICK_MS / 60_000

    def _fleet_now(self) -> tuple[bool, bool, float]:
        """(fleet.armed(), fleet.all_in_service(), collateral_rate_per_min()), asked every tick:
        each is cached on the fleet's version, so while the version stands all three do, and one
        compare here spares three cache lookups."""
        version = self.fleet.tally.version
        if version != self._fleet_version:
            fleet = self.fleet
            self._fleet_state = (fleet.armed(), fleet.all_in_service(), self.collateral_rate_per_min())
            self._fleet_version = version
        return self._fleet_state

    def collateral_rate_per_min(self) -> float:
        """Healthy business switched off, per minute: servers out of service, flags turned off,
        and (where the scenario prices it) servers kept off the release the business wants.
        Asked every tick, it changes only with the fleet: cached on the fleet's state."""
        return self.fleet._cached("collateral_rate_per_min", self._collateral_rate)

    def _collateral_rate(self) -> float:
        fleet, scoring = self.fleet, self.spec.scoring
        out = sum(1 for s in fleet.servers if not fleet.in_service(s))
        cost = out * scoring.server_minute_usd
        for i, name in enumerate(fleet.flag_names):
            if not fleet.flag_enabled[i]:
                cost += self.spec.flags[name].collateral_per_min_usd
        if scoring.unreleased_server_minute_usd:
            behind = sum(1 for s in fleet.servers if s.release != fleet.current)
            cost += behind * scoring.unreleased_server_minute_usd
        return cost

    def charge_cancellations(self, ids: np.ndarray) -> int:
        """Cancelling or offsetting customers' orders before they were filled as meant is business
        lost: price it as the scenario says. Orders already filled as meant (a runaway parent
        whose customer has their shares) cost nothing to stop. Returns how many were charged."""
        book, scoring = self.book, self.spec.scoring
        ids = ids[book.account[ids] == ob.CUSTOMER]
        unfilled = np.maximum(book.intended[ids] - book.filled[ids], 0)
        hurt = unfilled > 0
        n = int(hurt.sum())
        notional = float((unfilled * self.market.fair[book.symbol[ids]]).sum())
        self.collateral_usd += n * scoring.cancelled_order_usd + notional * scoring.cancelled_notional_pct / 100
        self.cancelled_customer_orders += n
        return n

    def unfilled_firm_lots(self) -> int:
        """Lots of the firm's own orders never filled (a hedge left undone), at this moment."""
        rows = self.book.rows()
        firm = self.book.account[rows] == ob.FIRM
        left = np.maximum(self.book.qty[rows] - self.book.filled[rows], 0)
        return int(left[firm].sum() // self._lot)

    # -- the incident -----------------------------------------------------------------------------
    def hazard(self) -> bool:
        """True while erroneous orders can still follow: a server in service whose release turns an
        enabled flag into faulty code, or a live parent that can still trade and is on a faulty
        path or already past what was meant (a mistyped quantity)."""
        fleet, book = self.fleet, self.book
        if self._fleet_now()[0]:
            return True
        act = book.active
        if not fleet.may_send_faulty() and not self._mistyped_live():
            return False  # no parent can be on a faulty path, and none is past what was meant
        if len(act):
            path = self._active_paths(act)  # kept per parent between ticks, as the router keeps them
            live = self._can_trade(act, path)
            if live.any():
                over = (book.qty[act] > book.intended[act]) & (book.account[act] == ob.CUSTOMER)
                if (live & (FAULTY[path] | over)).any():
                    return True
        return False

    def _mistyped_live(self) -> bool:
        """Whether a customer's parent booked for more than was meant is still open (only the
        scenario's one-off orders can be: flows book what they mean)."""
        ids = self._mistyped
        return bool(len(ids)) and bool((self.book.state[ids] <= ob.WORKING).any())

    def healthy_fleet(self) -> bool:
        f = self.fleet
        return f.connected and all(f.in_service(s) for s in f.servers) and all(f.flag_enabled)

    def _update_incident(self, now: int) -> None:
        inc = self.incident
        hazard = self.hazard()
        if hazard != inc.hazard:
            self._hazard_changed(now, hazard)
        if inc.first_error_at is not None and not self._incident_marked:
            self._incident_marked = True
            if not any(p == "incident" for _, p in inc.phases):
                inc.phases.insert(0, (inc.first_error_at, "incident"))
        if not hazard and inc.phases and inc.phases[-1][1] == "contained" and self.healthy_fleet():
            inc.phases.append((now, "recovered"))
        inc.hazard = hazard

    def _hazard_changed(self, now: int, hazard: bool) -> None:
        inc = self.incident
        if hazard:
            inc.hazard_cleared_at = None
            if inc.phases and inc.phases[-1][1] in ("contained", "recovered"):
                inc.phases.append((now, "re-opened"))
        else:
            inc.hazard_cleared_at = now
            inc.phases.append((now, "contained"))

    def phase(self) -> str:
        if not self.market_open():
            return "pre-open"
        if self.incident.phases:
            last = self.incident.phases[-1][1]
            return "incident" if last == "re-opened" else last
        return "open"

    # -- the coach (tutorial) ---------------------------------------------------------------------
    def _coach(self):
        """Where the difficulty has hints: when the incident is live and the trainee has done
        nothing for a while, the next hint that fits the drill arrives in the inbox."""
        patience = int(self.difficulty.stuck_hint_after_s * 1000)
        while len(self._given_hints) < len(self.spec.hints):
            yield self.env.timeout(COACH_POLL_MS)
            inc = self.incident
            if inc.first_error_at is None or not inc.hazard:
                continue
            last = max(self._trainee_activity()[1], inc.first_error_at, self._last_hint_at)
            if self.now - last >= patience:
                fresh = self._fresh_hint()
                if fresh is not None:  # nothing fits now: wait, the drill may change
                    self.push_hint(self._give(fresh))

    _incident_marked = False  # the incident's start is in its phases
    _last_hint_at = 0
    _given_hints: tuple[int, ...] = ()  # indexes into spec.hints, in the order given
    # What the trainee has run, read incrementally from the actions log (which may grow long).
    _log_read = 0
    _ran_commands: frozenset[tuple[str, ...]] = frozenset()  # distinct accepted commands, lower-case words
    _last_trainee_at = 0

    def next_hint(self) -> str:
        """What `hint` returns: the first hint, in order, not given yet that fits the drill now;
        when every one that fits has been given, the latest of them again."""
        hints = self.spec.hints
        if not hints:
            return "no hints for this scenario"
        i = self._fresh_hint()
        if i is None:
            fitting = [j for j in self._given_hints if self._hint_fits(hints[j])]
            if not fitting:
                return "no hint fits the drill as it stands: what the coach would suggest is done or out of reach"
            i = fitting[-1]
        return self._give(i)

    def _give(self, i: int) -> str:
        if i not in self._given_hints:
            self._given_hints = (*self._given_hints, i)
        return self._fill(self.spec.hints[i].text)

    def _fresh_hint(self) -> int | None:
        return next(
            (i for i, h in enumerate(self.spec.hints) if i not in self._given_hints and self._hint_fits(h)), None
        )

    def _hint_fits(self, hint) -> bool:
        """A hint's conditions (schema.Hint) against the drill as it stands."""
        ran = self._trainee_activity()[0]
        if any(self._ran(pattern, ran) for pattern in hint.unless_ran):
            return False
        if hint.after_ran and not any(self._ran(pattern, ran) for pattern in hint.after_ran):
            return False
        return all(self.hint_state(x) for x in hint.when) and not any(self.hint_state(x) for x in hint.unless)

    def _trainee_activity(self) -> tuple[frozenset[tuple[str, ...]], int]:
        """The trainee's accepted commands so far (running or done, as lower-case words; a refusal is
        settled as it is submitted), and when the trainee last submitted anything."""
        log = self.actions_log
        new = log[self._log_read :]
        if new:
            self._log_read = len(log)
            mine = [a for a in new if a.by == "trainee"]
            if mine:
                self._last_trainee_at = max(self._last_trainee_at, *(a.submitted_at for a in mine))
                ran = {tuple(w.lower() for w in a.command.text.split()) for a in mine if a.status != REFUSED}
                if not ran <= self._ran_commands:
                    self._ran_commands = self._ran_commands | ran
        return self._ran_commands, self._last_trainee_at

    def _ran(self, pattern: str, ran: frozenset[tuple[str, ...]]) -> bool:
        """A bare verb matches the verb with any arguments; otherwise the whole command, with
        its placeholders filled in (faulty_placeholders)."""
        words = tuple(w.lower() for w in pattern.split())
        if len(words) == 1:
            return any(r[:1] == words for r in ran)
        return tuple(w.lower() for w in fill_placeholders(pattern, faulty_placeholders(self.missed)).split()) in ran

    def hint_state(self, state: str) -> bool:
        """The fleet states a hint can ask for (schema.HINT_STATES)."""
        check = _HINT_STATES.get(state)
        if check is None:
            raise ValueError(f"unknown hint state {state!r}")
        return check(self)

    def _rolled_back(self) -> bool:
        """More servers on the previous release than when the drill began."""
        fleet = self.fleet
        at_start = len(self.missed) if self.spec.deploy.initial == "current" else len(fleet.servers)
        return sum(1 for s in fleet.servers if s.release == fleet.previous) > at_start

    def push_hint(self, text: str) -> None:
        self._last_hint_at = self.now
        self.messages.append(
            Message(len(self.messages) + 1, self.now, "email", "Coach", "Hint: " + text.split(". ")[0], text)
        )

    # -- facilitator injections ----------------------------------------------------------------------
    def inject(self, inject_id: str) -> str:
        spec = next(i for i in self.spec.injects if i.id == inject_id)
        if spec.kind in ("email", "call"):
            self.messages.append(
                Message(
                    len(self.messages) + 1,
                    self.now,
                    spec.kind,
                    spec.sender,
                    self._fill(spec.subject),
                    self._fill(spec.body),
                )
            )
            return f"{spec.kind} from {spec.sender} delivered: {self._fill(spec.subject)}"
        if spec.kind == "alert_burst":
            for k in range(spec.count):
                self.alerts.append(
                    Alert(
                        f"A{len(self.alerts) + 1}",
                        self.now,
                        "noise",
                        self._fill(spec.subject) or "Noisy alert",
                        f"{self._fill(spec.body) or 'noise'} ({k + 1}/{spec.count})",
                    )
                )
            return f"{spec.count} noisy alerts raised"
        # revert_server: a second fault. The server restarts on the previous release, as if its
        # deploy had been undone behind everyone's back.
        assert spec.server is not None  # the schema requires one for revert_server
        s = self.fleet.servers[self.fleet.index(spec.server)]
        s.release = self.fleet.previous
        return f"{s.name} silently restarted on {self.fleet.release_label(s.release)}"

    # -- alerts -----------------------------------------------------------------------------------
    def _raise(self, now: int, kind: str, key: str, label: str, detail: str) -> None:
        if (kind, key) in self._alerted:
            return
        self._alerted.add((kind, key))
        self.alerts.append(Alert(f"A{len(self.alerts) + 1}", now, kind, label, detail))

    def _check_alerts(self, now: int) -> None:
        """Every rule, every tick, as numpy over servers, parents and symbols. What already alerted
        is remembered per kind in a mask (the same (kind, key) `_raise` de-duplicates on), so an
        alert's message is built once, when its key first trips, and a hostile file's many rules
        over many live parents cost a vector comparison each, not a Python loop. A figure several
        rules compare (a ratio per server, a move per symbol) is worked out once a tick."""
        if not self.market_open():
            return
        seen = self.__dict__.setdefault("_alert_masks", {})
        tick: dict[str, object] = {}
        for rule in self.spec.alerts:
            check = _ALERT_CHECKS.get(rule.kind)
            if check is not None:
                check(self, now, rule, seen, tick)

    def _alert_order_ratio(self, now: int, rule, seen: dict, tick: dict) -> None:
        servers = self.fleet.servers
        done = seen.setdefault("order_ratio", np.zeros(len(servers), bool))
        if done.all():
            return  # every server has raised it
        ratio = tick.get("ratio")
        if ratio is None:
            self._count_arrivals()
            tally = self.fleet.tally
            ins = tally.parents  # divided as floats (the counts convert exactly), 0 where no parent came
            ratio = np.divide(tally.children, ins, out=np.zeros(len(ins)), where=ins > 0)
            tick["ratio"] = ratio
        for i in np.flatnonzero((ratio > rule.threshold) & ~done):
            s = servers[int(i)]
            done[i] = True
            self._raise(
                now,
                rule.kind,
                s.name,
                rule.label,
                f"{s.name}: {s.children_out / s.parents_in:,.0f} child orders out per parent in (limit {rule.threshold:,.0f})",
            )

    def _alert_position_limit(self, now: int, rule, seen: dict, tick: dict) -> None:
        if (rule.kind, "") in self._alerted:
            return  # raised once for the whole drill: nothing left to work out
        gross = tick.get("gross")
        if gross is None:
            gross = tick["gross"] = float(np.abs(self.ledger.inventory_usd()).sum())
        if gross > rule.threshold:
            self._raise(
                now, rule.kind, "", rule.label, f"firm gross position ${gross:,.0f} (limit ${rule.threshold:,.0f})"
            )

    def _alert_loss(self, now: int, rule, seen: dict, tick: dict) -> None:
        if self.loss_usd > rule.threshold and (rule.kind, "") not in self._alerted:
            detail = f"trading loss ${self.loss_usd:,.0f} (threshold ${rule.threshold:,.0f})"
            self._raise(now, rule.kind, "", rule.label, detail)

    def _alert_order_size(self, now: int, rule, seen: dict, tick: dict) -> None:
        book, market = self.book, self.market
        done = seen.get("order_size")
        if done is None or len(done) < book.n:  # parents are only ever added: grow to the book
            grown = np.zeros(max(book.n, 2 * len(done) if done is not None else 1024), bool)
            if done is not None:
                grown[: len(done)] = done
            done = seen["order_size"] = grown
        act = book.active
        new = act[(book.qty[act] >= rule.threshold) & ~done[act]]
        done[new] = True
        for pid in new.tolist():
            sym = market.symbols[int(book.symbol[pid])]
            side = "BUY" if book.side[pid] > 0 else "SELL"
            detail = f"order {pid}: {side} {int(book.qty[pid]):,} {sym} (size limit {rule.threshold:,.0f})"
            self._raise(now, rule.kind, str(pid), rule.label, detail)

    def _alert_price_move(self, now: int, rule, seen: dict, tick: dict) -> None:
        market = self.market
        moved = tick.get("moved")
        if moved is None:
            moved = tick["moved"] = np.abs(market.displacement(np.arange(len(market.fair)), market.pressure)) * 1e4
        done = seen.setdefault("price_move", np.zeros(len(market.fair), bool))
        for i in np.flatnonzero((moved > rule.threshold) & ~done):
            done[i] = True
            name = market.symbols[int(i)]
            detail = f"{name} traded {moved[i]:,.0f} bps away from fair value (limit {rule.threshold:,.0f})"
            self._raise(now, rule.kind, name, rule.label, detail)

    # -- the timeline -------------------------------------------------------------------------------
    def _fill(self, text: str, any_server: str = "") -> str:
        """Placeholders known when the drill is built: the truth, and (for noise) some server."""
        text = fill_placeholders(text, faulty_placeholders(self.missed))
        return text.replace("{random_server}", any_server or self.fleet.servers[0].name)

    HOT_SYMBOLS = 3  # how many names a caller mentions

    def _fill_live(self, text: str) -> str:
        """Placeholders known only when the message arrives: the names the firm's own flow is
        moving most right now (what an exchange would call about)."""
        if "{hot_symbols}" not in text:
            return text
        inv = np.abs(self.ledger.inventory_usd())
        top = [int(i) for i in np.argsort(-inv, kind="stable")[: self.HOT_SYMBOLS] if inv[i] > 0]
        names = ", ".join(self.market.symbols[i] for i in top) or "no names in particular"
        return text.replace("{hot_symbols}", names)

    def _schedule_timeline(self) -> None:
        planned = self._planned_streams()
        planned += self._planned_events()
        planned.sort(key=lambda p: p[0])
        self.env.process(self._deliver(planned))

    def _plays_here(self, difficulties) -> bool:
        return not difficulties or self.difficulty_name in difficulties

    def _planned_streams(self) -> list[Planned]:
        """The timeline's streams of background messages: how many (moved by the seed's variant),
        when, and which subject and server each names."""
        rng = self._rng_timeline
        variant = self.seed != self.spec.seed
        planned: list[Planned] = []
        for st in self.spec.timeline.streams:
            if not self._plays_here(st.difficulties):
                continue
            count = st.count
            if variant and st.count_jitter_pct:
                j = st.count * st.count_jitter_pct / 100
                count = max(0, int(round(st.count + rng.uniform(-j, j))))
            times = np.sort(rng.integers(st.start, st.end, size=count))
            subjects = rng.integers(0, len(st.subjects), size=count)
            servers = rng.integers(0, len(self.fleet.servers), size=count)
            for t, si, srv in zip(times, subjects, servers):
                any_server = self.fleet.servers[int(srv)].name
                subject, body = self._fill(st.subjects[si], any_server), self._fill(st.body, any_server)
                planned.append((int(t), st.kind, st.sender, subject, body, st.signal))
        return planned

    def _planned_events(self) -> list[Planned]:
        """The timeline's one-off messages, each moved by up to its jitter in a seed's variant."""
        rng, clock = self._rng_timeline, self.clock
        variant = self.seed != self.spec.seed
        planned: list[Planned] = []
        for ev in self.spec.timeline.events:
            if not self._plays_here(ev.difficulties):
                continue
            at = ev.at
            if variant and ev.jitter_s:
                at = int(np.clip(at + rng.integers(-ev.jitter_s, ev.jitter_s + 1) * 1000, clock.world_start, clock.end))
            planned.append((at, ev.kind, ev.sender, self._fill(ev.subject), self._fill(ev.body), False))
        return planned

    def _deliver(self, planned):
        for at, kind, sender, subject, body, signal in planned:
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            self.messages.append(
                Message(
                    len(self.messages) + 1, at, kind, sender, self._fill_live(subject), self._fill_live(body), signal
                )
            )

    def emails_before_open(self) -> int:
        return sum(1 for m in self.messages if m.kind == "email" and m.signal and m.at < self.clock.open)


# The fleet states a hint can ask for (schema.HINT_STATES), each a question to the world.
_HINT_STATES: dict[str, Callable[[World], bool]] = {
    "armed": lambda w: w.fleet.armed(),  # a server in service would turn an enabled flag into faulty code
    "hazard": lambda w: w.hazard(),
    "contained": lambda w: not w.hazard(),
    "server_stopped": lambda w: not all(w.fleet.in_service(s) for s in w.fleet.servers),
    "all_stopped": lambda w: not w.fleet.in_service_mask().any(),
    "rolled_back": World._rolled_back,
    "flag_disabled": lambda w: not all(w.fleet.flag_enabled),
    "disconnected": lambda w: not w.fleet.connected,
}

# What each kind of alert rule checks (World._check_alerts).
_ALERT_CHECKS = {
    "order_ratio": World._alert_order_ratio,
    "position_limit": World._alert_position_limit,
    "loss": World._alert_loss,
    "order_size": World._alert_order_size,
    "price_move": World._alert_price_move,
}
