"""What-ifs that tell the truth, a facilitator's steering kept as the facilitator's, and a debrief
whose re-simulations stay within a fixed budget whatever the journal's length."""

from __future__ import annotations

import json
import re

import pytest

from drill.debrief import build, plan
from drill.debrief.export import to_html, to_json, to_markdown
from drill.scenario import load
from drill.session import Session
from drill.timefmt import fmt_clock, parse_clock

from drill.debrief.figures import Visible

from .conftest import STALE
from .records import command, figures, outcome

HEALTHY = next(s for s in load("knightmare").spec.fleet.servers if s != STALE)


def journal_of(path, steps, difficulty="historical"):
    """A drill played through a Session: steps are (HH:MM:SS, command, by)."""
    s = Session(load("knightmare"), difficulty, None, journal=path)
    for at, command, by in steps:
        s.advance_to(parse_clock(at))
        if s.finished:
            break
        s.submit(command, by=by)
    if not s.finished:
        s.run_to_end()
    return path


def assert_titles_tell_the_truth(d):
    """Every "contained earlier" what-if is contained, and earlier by what its title says; every
    other moved-earlier what-if says it was not (a title never claims what the outcome denies)."""
    mine = parse_clock(d.card.contained_at) if d.card.contained else None
    checked = 0
    for c in d.counterfactuals:
        if c.kind != "earlier":
            continue
        checked += 1
        m = re.match(r"Contained (\d+m\d\ds|\d+s) earlier \((\d\d:\d\d:\d\d) instead of (\d\d:\d\d:\d\d)\)", c.label)
        if m:
            assert c.contained and c.contained_at == m.group(2) and m.group(3) == d.card.contained_at, c
            gain = mine - parse_clock(c.contained_at)
            assert gain > 0
            mins, _, secs = m.group(1).rstrip("s").partition("m")
            assert (int(mins) * 60 + int(secs) if secs else int(mins)) * 1000 == round(gain / 1000) * 1000, c.label
        else:
            assert not c.label.lower().startswith("contained") or c.label.startswith("Contained no earlier"), c.label
            assert not c.contained or parse_clock(c.contained_at) >= mine, c
    return checked


@pytest.fixture(scope="module")
def healthy_deploy_debrief(tmp_path_factory, shared_cache, runner):
    """The trap the old rule fell into: the stale server stopped, then a deploy started on a healthy
    one ten seconds later. The stop contained it; the deploy was still running when it did."""
    j = journal_of(tmp_path_factory.mktemp("truth") / "healthy-deploy.jsonl",
                   [("09:33:00", f"stop {STALE}", "trainee"), ("09:33:10", f"deploy {HEALTHY}", "trainee"),
                    ("09:40:00", "resolve", "trainee")])
    return build(j, cache=shared_cache, runner=runner)


def test_contained_earlier_moves_the_command_that_contained_not_a_deploy_to_a_healthy_server(healthy_deploy_debrief):
    d = healthy_deploy_debrief
    earlier = [c for c in d.counterfactuals if c.kind == "earlier"]
    assert [c.key for c in earlier] == ["earlier:1", "earlier:5", "earlier:10"]
    for c, at in zip(earlier, ("09:32:00", "09:28:00", "09:23:00")):
        assert dict(c.commands).get(at) == f"stop {STALE}", c.commands
        assert (d.card.contained_at and c.contained), c
        assert f"deploy {HEALTHY}" in dict(c.commands).values()  # it stays where it was, 09:33:10
        assert dict(c.commands)["09:33:10"] == f"deploy {HEALTHY}"
    assert assert_titles_tell_the_truth(d) == 3
    assert all(c.label.startswith("Contained ") and " earlier (" in c.label for c in earlier)


@pytest.mark.parametrize("which", ["rollback_debrief", "stop_debrief", "healthy_deploy_debrief"])
def test_every_what_if_title_matches_its_own_outcome(which, request):
    d = request.getfixturevalue(which)
    assert_titles_tell_the_truth(d)
    for c in d.counterfactuals:
        if c.kind == "earliest":
            assert c.contained
        if c.kind == "without":
            assert c.delta_usd < 0  # kept only where removing the commands lowered the score


def test_a_moved_containment_that_does_not_contain_earlier_is_not_titled_so():
    """earlier_title reads the outcome: not contained, contained later, re-opened are all said."""
    sc = load("knightmare")
    f = facts([("09:31:00", f"stop {STALE}", "done", "09:31:20")], [("09:30:01", "incident"), ("09:31:20", "contained")],
              contained_at="09:31:19")
    job = plan.earlier_jobs(sc, plan.base(sc, "historical", sc.spec.seed), f)[0]
    mine = f.outcome

    def result(contained, at, phases):
        return figures(contained, at, [(parse_clock(t), p) for t, p in phases])

    title, ok = plan.earlier_title(job, result(False, None, [("09:30:01", "incident")]), mine)
    assert not ok and title.startswith("Not contained")
    title, ok = plan.earlier_title(job, result(True, "09:31:19", [("09:31:20", "contained")]), mine)
    assert not ok and title.startswith("Contained no earlier")
    title, ok = plan.earlier_title(job, result(True, "09:30:19", [("09:30:20", "contained"), ("09:40:00", "re-opened")]), mine)
    assert not ok and title.startswith("Not contained")
    title, ok = plan.earlier_title(job, result(True, "09:30:19", [("09:30:20", "contained")]), mine)
    assert ok and title.startswith("Contained 1m00s earlier (09:30:19 instead of 09:31:19)")


def facts(commands, phases, contained=True, contained_at="09:31:00", by=None):
    cmds = tuple(command(i, parse_clock(at), c, st, parse_clock(fin) if fin else None, (by or {}).get(i, "trainee"))
                 for i, (at, c, st, fin) in enumerate(commands, 1))
    return plan.Facts(cmds, outcome(contained, contained_at), tuple((parse_clock(t), p) for t, p in phases))


def test_the_containing_commands_are_those_that_changed_the_world_in_the_tick_before_containment():
    # The deploy to a healthy server was submitted last and still running: it is not what contained.
    f = facts([("09:33:00", f"stop {STALE}", "done", "09:33:20"), ("09:33:10", f"deploy {HEALTHY}", "done", "09:36:10")],
              [("09:30:01", "incident"), ("09:33:20", "contained")], contained_at="09:33:19")
    assert [c.command for c in plan.containing_commands(f)] == [f"stop {STALE}"]
    # A deploy of the stale server contains as it starts (it takes the server out).
    f = facts([("09:33:10", f"deploy {STALE}", "done", "09:36:10")], [("09:30:01", "incident"), ("09:33:10", "contained")])
    assert [c.command for c in plan.containing_commands(f)] == [f"deploy {STALE}"]
    # ... even when the drill ended (a resolve) before the deploy finished.
    f = facts([("09:33:10", f"deploy {STALE}", "unfinished", None), ("09:34:00", "resolve", "done", "09:34:00")],
              [("09:30:01", "incident"), ("09:33:10", "contained")])
    assert [c.command for c in plan.containing_commands(f)] == [f"deploy {STALE}"]


def test_what_a_containing_command_depends_on_moves_with_it_in_order():
    """cancel-open contained, but only because disable-flag had stopped new flagged orders a minute
    before: moved 5 minutes earlier, both move, the flag still first; the inspect stays."""
    sc = load("knightmare")
    f = facts([("09:31:00", "disable-flag RLP", "done", "09:32:00"), ("09:31:30", f"inspect {STALE}", "done", "09:31:45"),
               ("09:32:10", "cancel-open", "done", "09:32:20"), ("09:34:00", f"stop {HEALTHY}", "done", "09:34:20")],
              [("09:30:01", "incident"), ("09:32:20", "contained")], contained_at="09:32:19")
    assert [c.command for c in plan.containing_commands(f)] == ["cancel-open"]
    assert [c.command for c in plan.moved_block(f, 5)] == ["disable-flag RLP", "cancel-open"]
    five = next(j for j in plan.earlier_jobs(sc, plan.base(sc, "historical", sc.spec.seed), f) if j.meta.minutes == 5)
    assert five.spec.commands == ((parse_clock("09:26:00"), "disable-flag RLP"), (parse_clock("09:27:10"), "cancel-open"),
                                  (parse_clock("09:31:30"), f"inspect {STALE}"), (parse_clock("09:34:00"), f"stop {HEALTHY}"))
    assert "disable-flag" in five.label and "cancel-open" in five.label


# -- the facilitator's steering -----------------------------------------------------------------------
STEERING = [("09:20:05", "speed 10", "facilitator"), ("09:25:00", "pause", "facilitator"),
            ("09:25:00", "resume", "facilitator"), ("09:29:00", "push-hint look at the fleet", "facilitator"),
            ("09:30:30", f"inspect {STALE}", "trainee"), ("09:31:00", f"stop {STALE}", "trainee"),
            ("09:31:05", "inject nyse-call", "facilitator"), ("09:32:00", f"deploy {STALE}", "trainee"),
            ("09:36:00", f"start {STALE}", "trainee"), ("09:37:00", "resolve", "trainee")]


@pytest.fixture(scope="module")
def steered(tmp_path_factory, shared_cache, runner):
    j = journal_of(tmp_path_factory.mktemp("steered") / "steered.jsonl", STEERING)
    return j, build(j, cache=shared_cache, runner=runner)


def test_a_steered_drill_debriefs_cleanly(steered):
    _, d = steered
    assert not d.warnings, d.warnings  # every re-simulation replays the facilitator's verbs as theirs
    assert d.complete and d.curves[0].kind == "trainee"
    assert [m.command for m in d.markers] == [c for _, c, by in STEERING if by == "trainee"]
    assert [m.command for m in d.steering] == [c for _, c, by in STEERING if by == "facilitator"]
    kinds = {e.title: (e.kind, e.by) for e in d.timeline if e.kind in ("command", "facilitator")}
    assert kinds["speed 10"] == ("facilitator", "facilitator") and kinds["inject nyse-call"] == ("facilitator", "facilitator")
    assert kinds[f"stop {STALE}"] == ("command", "trainee")
    # The call the facilitator injected is on the trainee's timeline as the call it stands for.
    assert any(e.kind == "call" and e.t == parse_clock("09:31:05") for e in d.timeline)
    assert {e.command.split()[0] for e in d.command_effects} <= {"stop", "deploy", "start"}
    assert d.card.first_diagnostic_command == f"inspect {STALE}"


def test_what_ifs_never_edit_the_facilitators_commands(steered):
    _, d = steered
    steer = [(at, c) for at, c, by in STEERING if by == "facilitator"]
    edited = [c for c in d.counterfactuals if c.kind in ("without", "earlier")]
    assert any(c.kind == "earlier" for c in edited)
    for c in edited:
        assert list(c.steering) == steer, c.key  # all of them, as the facilitator's, at their own times
        assert not {cmd for _, cmd in c.commands} & {cmd for _, cmd in steer}
    # Containment moves on a steered drill replay what changed the world (the hint, the call).
    earliest = next(c for c in d.counterfactuals if c.kind == "earliest")
    assert list(earliest.steering) == [s for s in steer if s[1].split()[0] in ("push-hint", "inject")]


def test_the_exports_list_the_facilitators_commands_apart(steered, tmp_path):
    _, d = steered
    data = json.loads(to_json(d))
    assert [m["command"] for m in data["steering"]] == [m.command for m in d.steering]
    assert all(m["command"] not in {s["command"] for s in data["steering"]} for m in data["markers"])
    md = to_markdown(d, "chart.svg")
    assert "The facilitator's commands" in md and "- `09:20:05` facilitator: `speed 10`" in md
    assert "\u25b6 `speed 10`" not in md  # not among the trainee's commands
    page = to_html(d)
    assert '<tr class="facilitator"><td class="t">09:31:05</td>' in page
    assert "could not be re-simulated" not in md + page


# -- the budget -----------------------------------------------------------------------------------------
def many_commands(n):
    """n market-changing commands over every server and verb: far more groups than the budget."""
    servers = load("knightmare").spec.fleet.servers
    verbs = ["cancel-open {s}", "stop {s}", "start {s}", "deploy {s}", "stop-all", "start-all", "rollback",
             "disable-flag RLP", "enable-flag RLP", "offset {s}", "rollout 50", "kill-switch"]
    rows = []
    for i in range(n):
        at = parse_clock("09:30:00") + i * 5_000
        text = verbs[i % len(verbs)].format(s=servers[i // len(verbs) % len(servers)])
        rows.append(command(i + 1, at, text, "done", at + 20_000, "trainee"))
    rows.append(command(n + 1, parse_clock("09:31:00"), "speed 10", "done", parse_clock("09:31:00"), "facilitator"))
    return plan.Facts(tuple(sorted(rows, key=lambda r: r.t)), outcome(False, None), ())


def contained_by_the_last(f):
    """The same commands, contained by the last one's finishing (so the earlier what-ifs are planned
    and what moves with it is worked out over the whole journal)."""
    tc = f.commands[-1].finished_t if f.commands[-1].by == "trainee" else f.commands[-2].finished_t
    return plan.Facts(f.commands, outcome(True, fmt_clock(tc - 1000)), ((tc, "contained"),))


@pytest.mark.parametrize("contained", [False, True])
def test_the_plan_stays_within_its_budget_whatever_the_journals_length(contained):
    sc = load("knightmare")
    trainee = plan.base(sc, "standard", sc.spec.seed)
    for n in (1, 10, 300, 20_000):  # journals may hold 20,000
        f = contained_by_the_last(many_commands(n)) if contained else many_commands(n)
        jobs = plan.without_jobs(trainee, f, curve=[]) + plan.earlier_jobs(sc, trainee, f)
        jobs += plan.candidate_jobs(sc, "standard", sc.spec.seed, Visible(parse_clock("09:30:00"), "message", ""), plan.market_commands(f),
                                    plan.world_steering(f))
        jobs += plan.play_jobs(sc, "standard", sc.spec.seed)
        assert 2 + len(jobs) <= plan.MAX_RESIMULATIONS, n  # + the trainee's own drill and the probe
        assert bool([j for j in jobs if j.kind == "earlier"]) == contained
        removed = [set(j.meta.seqs) for j in jobs if j.kind == "without"]
        assert len(removed) <= plan.MAX_WITHOUT
        assert all(not a & b for a in removed for b in removed if a is not b)  # each command in one group
        assert n + 1 not in set().union(*removed)  # the facilitator's speed is never removed
        for j in jobs:  # ... nor moved: every edit keeps it, at its own time, as the facilitator's
            assert (parse_clock("09:31:00"), "speed 10", "facilitator") in j.spec.commands or j.kind in ("candidate", "play")


def test_identical_commands_are_one_group_and_the_ranking_keeps_what_moved_the_curve():
    f = plan.Facts(tuple(command(i + 1, parse_clock("09:30:00") + i * 10_000, "cancel-open", "done",
                                 parse_clock("09:30:10") + i * 10_000) for i in range(300)), outcome(False, None), ())
    groups = plan.command_groups(f)
    assert len(groups) == 1 and len(groups[0].seqs) == 300
    assert groups[0].label == "Without cancel-open \u00d7300 (09:30:00\u201310:19:50)"
    assert len(plan.command_groups(many_commands(300))) == 12  # one per verb: still more than the budget
    # Ranking: of groups beyond the budget, those across which the loss curve turned are kept.
    verbs = ["cancel-open", "stop smars-1", "start smars-1", "deploy smars-1", "stop-all", "start-all", "rollback",
             "disable-flag RLP", "enable-flag RLP", "offset", "rollout 50", "kill-switch"]
    spread = plan.Facts(tuple(command(i + 1, parse_clock("09:30:00") + i * 300_000, v, "done",
                                      parse_clock("09:30:20") + i * 300_000) for i, v in enumerate(verbs)),
                        outcome(False, None), ())
    turn = spread.commands[-1].finished_t  # the loss stops growing when the kill switch is thrown
    curve = [[t, min(t, turn) - parse_clock("09:30:00"), 0.0] for t in range(parse_clock("09:30:00"), turn + 600_000, 10_000)]
    kept = {g.name for g in plan.without_groups(spread, curve)}
    assert len(kept) == plan.MAX_WITHOUT and "kill-switch" in kept
    flat = [[t, 0.0, 0.0] for t, _, _ in curve]
    assert "kill-switch" not in {g.name for g in plan.without_groups(spread, flat)}  # ties: the first to begin


@pytest.fixture(scope="module")
def cancel_loop_journal(tmp_path_factory):
    """The blind policy: cancel-open every 11 s from the clock's start, 300 times (each 10 s one has
    finished before the next, so none is refused as already running: 300 market-changing commands)."""
    s = Session(load("knightmare"), "historical", None, journal=tmp_path_factory.mktemp("loop") / "cancel-loop.jsonl")
    for i in range(300):
        s.advance_to(parse_clock("09:20:01") + i * 11_000)
        assert s.submit("cancel-open").accepted
    s.run_to_end()
    return s.journal_path


def test_a_journal_of_300_market_commands_plans_a_bounded_debrief(cancel_loop_journal, shared_cache, runner):
    totals = []
    d = build(cancel_loop_journal, progress=lambda d: totals.append(d.total), cache=shared_cache, runner=runner)
    assert d.complete and not d.warnings
    assert max(totals) <= plan.MAX_RESIMULATIONS
    effects = d.command_effects
    assert len(effects) == 1 and effects[0].count == 300 and effects[0].command == "cancel-open"


# -- one story per figure ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["rollback_debrief", "stop_debrief", "healthy_deploy_debrief"])
def test_the_score_card_tells_each_time_once_counted_from_the_fault(which, request):
    from drill.debrief.export import card_rows

    d = request.getfixturevalue(which)
    c = d.card
    labels = [k for k, _ in card_rows(d)]
    assert len(labels) == len(set(labels)), labels  # one "Contained" row, one of everything
    story = dict(c.story)
    assert set(story) == {"Fault visible", "Fault", "First diagnostic", "Contained", "Recovered"}
    assert "after the fault showed" not in " ".join(v for _, v in card_rows(d))
    fault = parse_clock(c.incident_at)
    assert story["Fault"] == f"the first erroneous order at {c.incident_at}"
    if c.contained:
        took = parse_clock(c.contained_at) - fault
        assert c.time_to_containment_s == took / 1000
        assert story["Contained"].startswith(f"at {c.contained_at}, ")
        assert ("after the fault" if took >= 0 else "before the fault") in story["Contained"]
    else:
        assert story["Contained"].startswith("never")


def test_a_diagnostic_before_the_fault_is_told_as_before_it(tmp_path, shared_cache, runner):
    j = journal_of(tmp_path / "early-look.jsonl", [("09:20:03", f"inspect {STALE}", "trainee"),
                                                   ("09:31:00", f"stop {STALE}", "trainee"), ("09:33:00", "resolve", "trainee")])
    d = build(j, cache=shared_cache, runner=runner)
    story = dict(d.card.story)
    # 09:20:03 is when the warnings were on screen, but nearly ten minutes before the first erroneous order.
    assert story["First diagnostic"] == f"inspect {STALE} at 09:20:03, 9m58s before the fault"
    assert d.card.time_to_first_diagnostic_s == (parse_clock("09:20:03") - parse_clock(d.card.incident_at)) / 1000


def test_the_warning_emails_are_one_figure_everywhere(rollback_debrief, rollback_journal):
    d = rollback_debrief
    recorded = [json.loads(ln) for ln in rollback_journal.read_text().splitlines() if '"type":"end"' in ln][0]
    n = recorded["outcome"]["emails_before_open"]
    assert d.card.warning_emails == n > 0
    md = to_markdown(d, "chart.svg")
    # Every "N ... emails" figure of the score card and the review is the drill's own count.
    quoted = {int(x) for x in re.findall(r"(\d+) (?:warning emails|'Power Peg disabled' emails)", md)}
    assert quoted == {n}, quoted
    assert "| Warning emails | " + f"{n} before the open |" in md
    review = next(l for l in d.lessons if l.id == "read-the-warnings")
    assert f"Act on the {n} " in review.expected
