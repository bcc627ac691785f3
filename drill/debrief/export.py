"""The debrief's exports: a Markdown postmortem (the chart beside it as an SVG file), JSON with every
figure, and one self-contained HTML page a facilitator can project (inline CSS and SVG, no scripts,
nothing fetched)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from drill import __version__
from drill.debrief.chart import colours, svg
from drill.debrief.fmt import usd, usd_delta
from drill.debrief.model import (
    Candidate,
    CommandEffect,
    Counterfactual,
    Debrief,
    LessonReview,
    Reference,
    ScoreCard,
    TimelineEvent,
)
from drill.scenario.loader import printable
from drill.session.scoring import ENDED_BY

FORMAT = 1


# -- shared pieces ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """A timeline row for reading: identical messages in a run are folded into one."""

    at: str
    until: str | None
    kind: str
    title: str
    detail: str
    count: int
    event: TimelineEvent


def _waiting(e: TimelineEvent) -> bool:
    """A message already in the inbox when the trainee's clock started."""
    return e.kind in ("email", "call") and e.before_start


def _waiting_rows(d: Debrief) -> list[Row]:
    """What was waiting in the inbox, one row per (kind, sender, subject) in the order first seen."""
    waiting: dict[tuple, list[TimelineEvent]] = {}
    for e in d.timeline:
        if _waiting(e):
            waiting.setdefault((e.kind, e.sender, e.title), []).append(e)
    return [
        Row(es[0].at, es[-1].at if len(es) > 1 else None, es[0].kind, es[0].title, es[0].detail, len(es), es[0])
        for es in waiting.values()
    ]


def _repeats(last: Row | None, e: TimelineEvent) -> bool:
    """Whether `e` is one more of the message the previous row shows (folded into it)."""
    return (
        last is not None
        and e.kind in ("email", "call")
        and last.kind == e.kind
        and last.title == e.title
        and last.event.sender == e.sender
        and not last.event.before_start
    )


def timeline_rows(d: Debrief) -> list[Row]:
    rows = _waiting_rows(d)
    for e in d.timeline:
        if _waiting(e):
            continue
        last = rows[-1] if rows else None
        if last is not None and _repeats(last, e):
            rows[-1] = Row(last.at, e.at, last.kind, last.title, last.detail, last.count + 1, last.event)
        else:
            rows.append(Row(e.at, None, e.kind, e.title, e.detail, 1, e))
    return rows


def _finished(r: Row) -> str:
    """When a command finished, where that is not when it was given."""
    at = r.event.finished_at
    return f" at {at}" if at and at != r.at else ""


def _when(r: Row) -> str:
    return f"{r.at}\u2013{r.until}" if r.until else r.at


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _times(e: CommandEffect) -> str:
    return f" \u00d7{e.count}, removed together" if e.count > 1 else ""


def _moves_at(d: Debrief) -> str | None:
    """When the containment moves were issued: the first moment the fault was visible."""
    return next((x.issued_at for x in d.candidates if x.issued_at), None)


def _candidate_verdict(x: Candidate) -> str:
    return f"contains; score {usd(x.score_usd)}" if x.effective else x.note or "not effective"


def _effect_verdict(cost_usd: float) -> tuple[str, str]:
    """What a command was worth, in words, and the class that colours it ("" for no difference)."""
    if cost_usd > 0.5:
        return "worse", f"made it worse by {usd(cost_usd)}"
    if cost_usd < -0.5:
        return "better", f"saved {usd(-cost_usd)}"
    return "", "made no difference"


def _mark(lesson: LessonReview) -> str:
    return "Keep" if lesson.verdict == "keep" else "Change"


def _play_row(name: str, ref: Reference | None) -> list[tuple[str, str]]:
    if ref is None:
        return []
    return [(name, f"loss {usd(ref.loss_usd)}, score {usd(ref.score_usd)}, grade {ref.grade}")]


def card_rows(d: Debrief) -> list[tuple[str, str]]:
    c = d.card
    bankrupt = f": BANKRUPT, more than the firm's capital of {usd(c.capital_usd)}" if c.bankrupt else ""
    return [
        ("Grade", c.grade),
        ("Score", f"{usd(c.score_usd)} (loss + collateral)"),
        ("Loss", usd(c.loss_usd) + bankrupt),
        ("Collateral", f"{usd(c.collateral_usd)} of healthy business switched off"),
        *c.story,  # each time once, counted from the fault
        *([("Warning emails", f"{c.warning_emails} before the open")] if c.warning_emails else []),
        ("Ended", f"{c.ended_at} by {ENDED_BY.get(c.ended_by, c.ended_by)}"),
        *([("The real incident", usd(c.historical.loss_usd))] if c.historical is not None else []),
        *_play_row("Historical play, re-simulated", c.historical_play),
        *_play_row("Best play, same seed", c.best_play),
    ]


# -- JSON -----------------------------------------------------------------------------------------
def to_json(d: Debrief) -> str:
    data = {"format": FORMAT, "program": f"drill {__version__}", **d.to_dict()}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- Markdown -------------------------------------------------------------------------------------
def _md(text: object) -> str:
    """Scenario and journal text as Markdown prose that renders as itself: no raw HTML (a viewer
    with HTML on would run it), no link or image syntax."""
    return html.escape(str(text), quote=False).replace("[", "\\[").replace("]", "\\]")


def _code(text: object) -> str:
    """An inline code span the text cannot close early (a fence longer than its backtick runs)."""
    t = str(text).replace("\n", " ")
    run = max((len(m) for m in re.findall(r"`+", t)), default=0)
    fence = "`" * (run + 1)
    pad = " " if t.startswith("`") or t.endswith("`") else ""
    return f"{fence}{pad}{t}{pad}{fence}"


def _cell(text: str) -> str:
    return _md(" ".join(str(text).split())).replace("|", "\\|")


def _md_title(d: Debrief) -> list[str]:
    out = [
        f"# Debrief: {_md(d.title)}",
        "",
        f"*{_md(d.difficulty)} difficulty \u00b7 seed {d.seed} \u00b7 journal {_code(d.journal)} \u00b7 times are the "
        f"scenario's clock ({d.clock_zone})*",
        "",
    ]
    for w in d.warnings:
        out += [f"> **Warning:** {_md(w)}", ""]
    return out


def _md_headline(d: Debrief) -> list[str]:
    c = d.card
    headline = (
        f"**Grade {c.grade}**: the drill cost **{usd(c.score_usd)}**"
        + (" and the firm went bankrupt" if c.bankrupt else "")
        + ". "
    )
    if c.best_play is not None:
        headline += f"The best play for this seed costs {usd(c.best_play.score_usd)}. "
    if c.historical is not None:
        headline += f"The real incident cost {usd(c.historical.loss_usd)}."
    return [headline, ""]


def _md_card(d: Debrief) -> list[str]:
    return ["## Score card", "", "| | |", "| --- | --- |", *(f"| {k} | {_cell(v)} |" for k, v in card_rows(d))]


def _md_chart(chart_ref: str) -> list[str]:
    return ["", "## Loss over time", "", f"![Loss over time: your drill and the counterfactuals]({chart_ref})", ""]


def _md_commands(d: Debrief) -> list[str]:
    out: list[str] = []
    if d.markers:
        out += ["Your commands, numbered as on the chart:", ""]
        out += [f"{i}. {m.at} {_code(m.command)} ({_md(m.status)})" for i, m in enumerate(d.markers, 1)]
        out.append("")
    if d.steering:
        out += ["The facilitator's commands (replayed as the facilitator's in every re-simulation, never edited):", ""]
        out += [f"- {m.at} {_code(m.command)}" for m in d.steering]
        out.append("")
    return out


def _md_counterfactual(cf: Counterfactual) -> str:
    label = cf.label + (f" ({cf.note})" if cf.note and cf.kind in ("without", "earlier") else "")
    return (
        f"| {_cell(label)} | {usd(cf.loss_usd)} | {usd(cf.collateral_usd)} | {usd(cf.score_usd)} | "
        f"{usd_delta(cf.delta_usd)} | {cf.contained_at or 'never'} |"
    )


def _md_costs(d: Debrief) -> list[str]:
    c = d.card
    return [
        "## What it would have cost",
        "",
        "Each line is a re-simulation of your journal, edited (rules in the project's docs/debrief.md).",
        "",
        "| Counterfactual | Loss | Collateral | Score | Against yours | Contained |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| **Your drill** | {usd(c.loss_usd)} | {usd(c.collateral_usd)} | {usd(c.score_usd)} | | "
        f"{c.contained_at or 'never'} |",
        *(_md_counterfactual(cf) for cf in d.counterfactuals),
        "",
    ]


def _md_candidates(d: Debrief) -> list[str]:
    if not d.candidates:
        return []
    out = [f"Containment moves tried at the first moment the fault was visible ({_moves_at(d) or 'never'}):", ""]
    out += [f"- {_code(x.move)}: {_md(_candidate_verdict(x))}" for x in d.candidates]
    return [*out, ""]


def _md_effects(d: Debrief) -> list[str]:
    if not d.command_effects:
        return []
    out = ["What each of your commands that could change the market was worth (score without it, against yours):", ""]
    for effect in d.command_effects:
        out.append(f"- {effect.at} {_code(effect.command)}{_times(effect)}: {_effect_verdict(effect.cost_usd)[1]}")
    return [*out, ""]


def _md_notes(d: Debrief) -> list[str]:
    out = [f"*{_md(n)}*" for n in d.notes] + ([""] if d.notes else [])
    if d.pending:
        out += ["*Still computing: " + "; ".join(_md(x) for x in d.pending) + "*", ""]
    return out


def _md_lessons(d: Debrief) -> list[str]:
    out = ["## After-action review", ""]
    for lesson in d.lessons:
        mark = _mark(lesson)
        out += [
            f"### {mark}: {_md(lesson.title)}",
            "",
            f"- **Expected:** {_md(lesson.expected)}",
            f"- **What happened:** {_md(lesson.happened)}",
            f"- **Why it matters:** {_md(lesson.why)}",
            f"- **{mark}:** {_md(lesson.advice)}",
            "",
        ]
    return out


def _code_block(text: str, lines: list[str]) -> list[str]:
    """Lines as an indented code block under a list item, fenced longer than any backtick run."""
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return ["", f"  {fence}", *(f"  {ln}" for ln in lines), f"  {fence}", ""]


def _md_command_row(r: Row) -> list[str]:
    by = r.event.by
    who = f" ({_md(by)})" if by not in (None, "trainee") else ""  # a crew member
    line = f"- `{r.at}` \u25b6 {_code(r.title)}{who}: {_md(r.event.status or '')}{_finished(r)}"
    lines = r.detail.strip().splitlines()
    if len(lines) == 1:
        return [line + f": {_md(lines[0])}"]
    return [line, *(_code_block(r.detail, lines) if lines else [])]


def _md_facilitator_row(r: Row) -> list[str]:
    said = f": {_md(_first_line(r.detail))}" if r.detail.strip() else ""
    return [f"- `{r.at}` facilitator: {_code(r.title)}{said}"]


def _md_message_row(r: Row) -> list[str]:
    many = f"{r.count} \u00d7 " if r.count > 1 else ""
    where = " (waiting when your clock started)" if r.event.before_start else ""
    return [f"- `{_when(r)}` {many}{r.kind} from {_md(r.event.sender)}{where}: \u201c{_md(r.title)}\u201d"]


# How each kind of timeline row reads in Markdown; any other kind (clock, end) in italics.
_MD_ROW = {
    "command": _md_command_row,
    "facilitator": _md_facilitator_row,
    "email": _md_message_row,
    "call": _md_message_row,
    "alert": lambda r: [f"- `{r.at}` ALERT {_md(r.title)} ({_md(r.event.status)})"],
    "phase": lambda r: [f"- `{r.at}` **{_md(r.title)}**"],
}


def _md_other_row(r: Row) -> list[str]:
    return [f"- `{r.at}` *{_md(r.title)}*"]


def _md_timeline(d: Debrief) -> list[str]:
    out = ["## Timeline", ""]
    for r in timeline_rows(d):
        out += _MD_ROW.get(r.kind, _md_other_row)(r)
    return [*out, "", f"*Generated by drill {__version__} from {_code(d.journal)}.*"]


def to_markdown(d: Debrief, chart_ref: str) -> str:
    """The postmortem: each section rendered by its own function, in reading order."""
    sections = [
        _md_title(d),
        _md_headline(d),
        _md_card(d),
        _md_chart(chart_ref),
        _md_commands(d),
        _md_costs(d),
        _md_candidates(d),
        _md_effects(d),
        _md_notes(d),
        _md_lessons(d),
        _md_timeline(d),
    ]
    # Every line without its control characters: the Markdown goes to a terminal by default, and
    # a journal's text (a pushed hint, a command) must not drive it.
    return "\n".join(printable(line) for section in sections for line in section) + "\n"


# -- HTML -----------------------------------------------------------------------------------------
CSS = """
:root { --fg:#1b1b1b; --muted:#5a5a5a; --line:#dcdcdc; --bad:#b00020; --good:#1b7f3b; --bg:#ffffff; --band:#f5f6f8; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font: 18px/1.45 "DejaVu Sans", Verdana, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 36px 60px; }
h1 { font-size: 34px; margin: 0 0 4px; }
h2 { font-size: 26px; margin: 38px 0 12px; border-bottom: 3px solid var(--fg); padding-bottom: 4px; }
h3 { font-size: 20px; margin: 0 0 6px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.warn { background:#fff4d6; border-left:6px solid #e0a800; padding:10px 14px; margin:10px 0; }
.hero { display:flex; gap:18px; align-items:stretch; flex-wrap:wrap; margin: 18px 0 8px; }
.grade { font-size: 86px; font-weight: bold; width: 150px; text-align:center; border-radius: 12px; color:#fff; line-height:150px; }
.g-DNF { background:#5a5a5a; font-size: 54px; }
.g-A { background:#1b7f3b; } .g-B { background:#4c9a2a; } .g-C { background:#c9a100; } .g-D { background:#d2691e; } .g-F { background:#b00020; }
.figs { display:grid; grid-template-columns: repeat(3, minmax(180px, 1fr)); gap: 12px; flex: 1; }
.fig { background: var(--band); border-radius: 10px; padding: 12px 16px; }
.fig .k { color: var(--muted); font-size: 15px; text-transform: uppercase; letter-spacing: .04em; }
.fig .v { font-size: 30px; font-weight: bold; }
.fig.bad .v { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 15px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.you td { font-weight: bold; background: #fff0f0; }
.swatch { display:inline-block; width: 26px; height: 0; border-top: 4px solid; vertical-align: middle; margin-right: 8px; }
.better { color: var(--good); font-weight: bold; } .worse { color: var(--bad); font-weight: bold; }
.chart { margin: 0; }
.chart svg { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 8px; }
ol.marks { columns: 2; font-size: 16px; }
.lesson { border-left: 8px solid; padding: 10px 16px; margin: 12px 0; background: var(--band); border-radius: 0 8px 8px 0; }
.lesson.keep { border-color: var(--good); } .lesson.change { border-color: var(--bad); }
.lesson .tag { font-weight:bold; text-transform: uppercase; font-size: 14px; letter-spacing:.05em; }
.lesson.keep .tag { color: var(--good); } .lesson.change .tag { color: var(--bad); }
.lesson dl { display:grid; grid-template-columns: 190px 1fr; gap: 4px 12px; margin: 6px 0 0; }
.lesson dt { color: var(--muted); } .lesson dd { margin: 0; }
.tl td.t { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); width: 1%; }
.tl tr.phase td { font-weight: bold; background: #f3eefc; }
.tl tr.clock td, .tl tr.end td { font-style: italic; background: var(--band); }
.tl tr.alert td { background: #fff4d6; }
.tl tr.facilitator td { background: #eef4fb; color: var(--muted); }
.tl tr.command td.what { font-family: "DejaVu Sans Mono", Consolas, monospace; }
.tl .signal { color: var(--bad); font-weight: bold; }
.tag-k { display:inline-block; min-width: 72px; font-size: 13px; text-transform: uppercase; color: var(--muted); }
pre { background: #f4f4f4; padding: 8px 10px; border-radius: 6px; font-size: 14px; white-space: pre-wrap; margin: 6px 0 0; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.92em; }
details summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 14px; }
@media print { main { max-width: none; } h2 { break-after: avoid; } .lesson, tr { break-inside: avoid; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _delta_html(x: float | None) -> str:
    if x is None:
        return "n/a"
    cls = "better" if x < -0.5 else "worse" if x > 0.5 else ""
    return f'<span class="{cls}">{_e(usd_delta(x))}</span>'


def _html_head(d: Debrief) -> list[str]:
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Debrief: {_e(d.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]


def _html_title(d: Debrief) -> list[str]:
    out = [
        f"<h1>Debrief: {_e(d.title)}</h1>",
        f'<p class="sub">{_e(d.difficulty)} difficulty \u00b7 seed {d.seed} \u00b7 times are the scenario\u2019s clock '
        f"({_e(d.clock_zone)}) \u00b7 journal <code>{_e(d.journal)}</code></p>",
    ]
    out += [f'<div class="warn"><strong>Warning:</strong> {_e(w)}</div>' for w in d.warnings]
    if d.pending:
        out.append(f'<div class="warn">Still computing: {_e("; ".join(d.pending))}</div>')
    return out


def _hero_figures(c: ScoreCard) -> list[tuple[str, str, bool]]:
    """(name, figure, whether it is bad news) for the hero's tiles."""
    return [
        ("Score", usd(c.score_usd), c.score_usd > 0),
        ("Loss", usd(c.loss_usd), c.loss_usd > 0),
        ("Collateral", usd(c.collateral_usd), False),
        ("Contained", c.contained_at or "never", not c.contained),
        ("Real incident", usd(c.historical.loss_usd) if c.historical else "n/a", False),
        ("Best play", usd(c.best_play.score_usd) if c.best_play else "\u2026", False),
    ]


def _html_hero(d: Debrief) -> list[str]:
    """The grade and the headline figures, big enough for the back of the room."""
    c = d.card
    out = [
        '<section class="hero">',
        f'<div class="grade g-{_e(c.grade)}" aria-label="grade {_e(c.grade)}">{_e(c.grade)}</div><div class="figs">',
    ]
    for k, v, bad in _hero_figures(c):
        out.append(
            f'<div class="fig{" bad" if bad else ""}"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>'
        )
    out.append("</div></section>")
    if c.bankrupt:
        out.append(
            f'<div class="warn"><strong>Bankrupt:</strong> the loss is more than the firm\u2019s capital of {_e(usd(c.capital_usd))}.</div>'
        )
    return out


def _html_card(d: Debrief) -> list[str]:
    rows = [f'<tr><th scope="row">{_e(k)}</th><td>{_e(v).replace("`", "")}</td></tr>' for k, v in card_rows(d)]
    return ['<h2>Score card</h2><table class="card">', *rows, "</table>"]


def _html_chart(d: Debrief) -> list[str]:
    out = ["<h2>Loss over time</h2>", f'<figure class="chart">{svg(d, title=False)}</figure>']
    if d.markers:
        out.append('<ol class="marks">')
        out += [f"<li><code>{_e(m.at)}</code> <code>{_e(m.command)}</code> ({_e(m.status)})</li>" for m in d.markers]
        out.append("</ol>")
    if d.steering:
        out.append(
            "<p>The facilitator\u2019s commands, replayed as the facilitator\u2019s in every re-simulation and never "
            'edited:</p><ul class="steering">'
        )
        out += [f"<li><code>{_e(m.at)}</code> <code>{_e(m.command)}</code></li>" for m in d.steering]
        out.append("</ul>")
    return out


def _html_counterfactual(cf: Counterfactual, colour: str | None) -> str:
    swatch = f'<span class="swatch" style="border-color:{colour}"></span>' if colour else ""
    note = f"<br><small>{_e(cf.note)}</small>" if cf.note else ""
    return (
        f'<tr><td>{swatch}{_e(cf.label)}{note}</td><td class="num">{_e(usd(cf.loss_usd))}</td>'
        f'<td class="num">{_e(usd(cf.collateral_usd))}</td><td class="num">{_e(usd(cf.score_usd))}</td>'
        f'<td class="num">{_delta_html(cf.delta_usd)}</td><td>{_e(cf.contained_at or "never")}</td></tr>'
    )


def _html_costs(d: Debrief) -> list[str]:
    c = d.card
    cols = colours(d)
    you = cols.get("trainee", "#d62728")
    return [
        "<h2>What it would have cost</h2>",
        "<p>Each row is a re-simulation of your journal, edited: the same market, the same seed.</p>",
        '<table class="cf"><thead><tr><th>Counterfactual</th><th class="num">Loss</th><th class="num">Collateral</th>'
        '<th class="num">Score</th><th class="num">Against yours</th><th>Contained</th></tr></thead><tbody>',
        f'<tr class="you"><td><span class="swatch" style="border-color:{you}"></span>Your drill</td>'
        f'<td class="num">{_e(usd(c.loss_usd))}</td><td class="num">{_e(usd(c.collateral_usd))}</td>'
        f'<td class="num">{_e(usd(c.score_usd))}</td><td class="num"></td><td>{_e(c.contained_at or "never")}</td></tr>',
        *(_html_counterfactual(cf, cols.get(cf.key)) for cf in d.counterfactuals),
        "</tbody></table>",
    ]


def _html_candidates(d: Debrief) -> list[str]:
    if not d.candidates:
        return []
    return [
        f"<details><summary>Containment moves tried at {_e(_moves_at(d) or 'never')}, the first moment the fault was visible</summary><ul>",
        *(f"<li><code>{_e(x.move)}</code>: {_e(_candidate_verdict(x))}</li>" for x in d.candidates),
        "</ul></details>",
    ]


def _html_effect(effect: CommandEffect) -> str:
    cls, text = _effect_verdict(effect.cost_usd)
    verdict = f'<span class="{cls}">{_e(text)}</span>' if cls else text
    return f"<li><code>{_e(effect.at)}</code> <code>{_e(effect.command)}</code>{_e(_times(effect))}: {verdict}</li>"


def _html_effects(d: Debrief) -> list[str]:
    if not d.command_effects:
        return []
    return [
        "<details open><summary>What each of your commands was worth</summary><ul>",
        *(_html_effect(effect) for effect in d.command_effects),
        "</ul></details>",
    ]


def _html_lessons(d: Debrief) -> list[str]:
    out = [f"<p><small>{_e(n)}</small></p>" for n in d.notes]
    out.append("<h2>After-action review</h2>")
    for lesson in d.lessons:
        out.append(
            f'<div class="lesson {_e(lesson.verdict)}"><span class="tag">{_e(lesson.verdict)}</span><h3>{_e(lesson.title)}</h3><dl>'
            f"<dt>Expected</dt><dd>{_e(lesson.expected)}</dd><dt>What happened</dt><dd>{_e(lesson.happened).replace('`', '')}</dd>"
            f"<dt>Why it matters</dt><dd>{_e(lesson.why)}</dd><dt>{_mark(lesson)}</dt>"
            f"<dd>{_e(lesson.advice)}</dd></dl></div>"
        )
    return out


def _html_command_row(r: Row) -> str:
    lines = r.detail.strip().splitlines()
    by = r.event.by
    who = f'<span class="tag-k">{_e(by)}</span>' if by not in (None, "trainee") else ""  # a crew member
    body = f'{who}{_e(r.title)} <span class="tag-k">{_e(r.event.status or "")}{_e(_finished(r))}</span>'
    if len(lines) == 1:
        body += f"<br><span>{_e(lines[0])}</span>"
    elif lines:
        body += f"<details><summary>{_e(lines[0])}</summary><pre>{_e(chr(10).join(lines))}</pre></details>"
    return f'<tr class="command"><td class="t">{_e(r.at)}</td><td class="what">{body}</td></tr>'


def _html_message_row(r: Row) -> str:
    e = r.event
    many = f"{r.count} \u00d7 " if r.count > 1 else ""
    where = " \u00b7 waiting when your clock started" if e.before_start else ""
    sig = ' <span class="signal">pointed at the fault</span>' if e.signal else ""
    return (
        f'<tr class="msg"><td class="t">{_e(_when(r))}</td><td><span class="tag-k">{_e(r.kind)}</span>'
        f"{_e(many)}<strong>{_e(e.sender)}</strong>: \u201c{_e(r.title)}\u201d{_e(where)}{sig}</td></tr>"
    )


def _html_alert_row(r: Row) -> str:
    return (
        f'<tr class="alert"><td class="t">{_e(r.at)}</td><td><span class="tag-k">alert</span>{_e(r.title)} '
        f"({_e(r.event.status)})</td></tr>"
    )


def _html_facilitator_row(r: Row) -> str:
    return (
        f'<tr class="facilitator"><td class="t">{_e(r.at)}</td><td><span class="tag-k">facilitator</span>'
        f"<code>{_e(r.title)}</code> {_e(_first_line(r.detail))}</td></tr>"
    )


def _html_other_row(r: Row) -> str:
    return f'<tr class="{_e(r.kind)}"><td class="t">{_e(r.at)}</td><td>{_e(r.title)}</td></tr>'


# How each kind of timeline row reads in HTML; any other kind (clock, phase, end) by its class.
_HTML_ROW = {
    "command": _html_command_row,
    "email": _html_message_row,
    "call": _html_message_row,
    "alert": _html_alert_row,
    "facilitator": _html_facilitator_row,
}


def _html_timeline(d: Debrief) -> list[str]:
    rows = [_HTML_ROW.get(r.kind, _html_other_row)(r) for r in timeline_rows(d)]
    return ['<h2>Timeline</h2><table class="tl"><tbody>', *rows, "</tbody></table>"]


def _html_footer(d: Debrief) -> list[str]:
    return [
        f"<footer>Generated by drill {_e(__version__)} from <code>{_e(d.journal)}</code>. Every counterfactual is a "
        f"re-simulation of the journal, edited; rules in the project\u2019s docs/debrief.md.</footer>",
        "</main>",
        "</body>",
        "</html>",
    ]


def to_html(d: Debrief) -> str:
    """The page: each section rendered by its own function, in reading order."""
    sections = [
        _html_head(d),
        _html_title(d),
        _html_hero(d),
        _html_card(d),
        _html_chart(d),
        _html_costs(d),
        _html_candidates(d),
        _html_effects(d),
        _html_lessons(d),
        _html_timeline(d),
        _html_footer(d),
    ]
    return "\n".join(line for section in sections for line in section) + "\n"
