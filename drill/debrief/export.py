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
from drill.debrief.model import Debrief, TimelineEvent
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


def timeline_rows(d: Debrief) -> list[Row]:
    rows: list[Row] = []
    waiting: dict[tuple, list[TimelineEvent]] = {}
    order: list[tuple] = []
    for e in d.timeline:
        if e.kind in ("email", "call") and e.before_start:
            key = (e.kind, e.sender, e.title)
            if key not in waiting:
                waiting[key] = []
                order.append(key)
            waiting[key].append(e)
    for key in order:  # what was already in the inbox when the trainee's clock started
        es = waiting[key]
        rows.append(
            Row(es[0].at, es[-1].at if len(es) > 1 else None, es[0].kind, es[0].title, es[0].detail, len(es), es[0])
        )
    for e in d.timeline:
        if e.kind in ("email", "call") and e.before_start:
            continue
        last = rows[-1] if rows else None
        if (
            last is not None
            and e.kind in ("email", "call")
            and last.kind == e.kind
            and last.title == e.title
            and last.event.sender == e.sender
            and not last.event.before_start
        ):
            rows[-1] = Row(last.at, e.at, last.kind, last.title, last.detail, last.count + 1, last.event)
            continue
        rows.append(Row(e.at, None, e.kind, e.title, e.detail, 1, e))
    return rows


def _when(r: Row) -> str:
    return f"{r.at}\u2013{r.until}" if r.until else r.at


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _times(e) -> str:
    return f" \u00d7{e.count}, removed together" if e.count > 1 else ""


def card_rows(d: Debrief) -> list[tuple[str, str]]:
    c = d.card
    rows = [
        ("Grade", c.grade),
        ("Score", f"{usd(c.score_usd)} (loss + collateral)"),
        (
            "Loss",
            usd(c.loss_usd)
            + (f": BANKRUPT, more than the firm's capital of {usd(c.capital_usd)}" if c.bankrupt else ""),
        ),
        ("Collateral", f"{usd(c.collateral_usd)} of healthy business switched off"),
        *c.story,  # each time once, counted from the fault
    ]
    if c.warning_emails:
        rows.append(("Warning emails", f"{c.warning_emails} before the open"))
    rows.append(("Ended", f"{c.ended_at} by {ENDED_BY.get(c.ended_by, c.ended_by)}"))
    if c.historical is not None:
        rows.append(("The real incident", usd(c.historical.loss_usd)))
    if c.historical_play is not None:
        rows.append(
            (
                "Historical play, re-simulated",
                f"loss {usd(c.historical_play.loss_usd)}, score {usd(c.historical_play.score_usd)}, grade {c.historical_play.grade}",
            )
        )
    if c.best_play is not None:
        rows.append(
            (
                "Best play, same seed",
                f"loss {usd(c.best_play.loss_usd)}, score {usd(c.best_play.score_usd)}, grade {c.best_play.grade}",
            )
        )
    return rows


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


def to_markdown(d: Debrief, chart_ref: str) -> str:
    c = d.card
    out = [
        f"# Debrief: {_md(d.title)}",
        "",
        f"*{_md(d.difficulty)} difficulty \u00b7 seed {d.seed} \u00b7 journal {_code(d.journal)} \u00b7 times are the "
        f"scenario's clock ({d.clock_zone})*",
        "",
    ]
    for w in d.warnings:
        out += [f"> **Warning:** {_md(w)}", ""]
    headline = (
        f"**Grade {c.grade}**: the drill cost **{usd(c.score_usd)}**"
        + (" and the firm went bankrupt" if c.bankrupt else "")
        + ". "
    )
    if c.best_play is not None:
        headline += f"The best play for this seed costs {usd(c.best_play.score_usd)}. "
    if c.historical is not None:
        headline += f"The real incident cost {usd(c.historical.loss_usd)}."
    out += [headline, "", "## Score card", "", "| | |", "| --- | --- |"]
    out += [f"| {k} | {_cell(v)} |" for k, v in card_rows(d)]
    out += ["", "## Loss over time", "", f"![Loss over time: your drill and the counterfactuals]({chart_ref})", ""]
    if d.markers:
        out.append("Your commands, numbered as on the chart:")
        out.append("")
        for i, m in enumerate(d.markers, 1):
            out.append(f"{i}. {m.at} {_code(m.command)} ({_md(m.status)})")
        out.append("")
    if d.steering:
        out += ["The facilitator's commands (replayed as the facilitator's in every re-simulation, never edited):", ""]
        out += [f"- {m.at} {_code(m.command)}" for m in d.steering]
        out.append("")
    out += [
        "## What it would have cost",
        "",
        "Each line is a re-simulation of your journal, edited (rules in the project's docs/debrief.md).",
        "",
        "| Counterfactual | Loss | Collateral | Score | Against yours | Contained |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| **Your drill** | {usd(c.loss_usd)} | {usd(c.collateral_usd)} | {usd(c.score_usd)} | | "
        f"{c.contained_at or 'never'} |",
    ]
    for cf in d.counterfactuals:
        label = cf.label + (f" ({cf.note})" if cf.note and cf.kind in ("without", "earlier") else "")
        out.append(
            f"| {_cell(label)} | {usd(cf.loss_usd)} | {usd(cf.collateral_usd)} | {usd(cf.score_usd)} | "
            f"{usd_delta(cf.delta_usd)} | {cf.contained_at or 'never'} |"
        )
    out.append("")
    if d.candidates:
        when = next((x.issued_at for x in d.candidates if x.issued_at), None)
        out += [f"Containment moves tried at the first moment the fault was visible ({when or 'never'}):", ""]
        for x in d.candidates:
            verdict = f"contains; score {usd(x.score_usd)}" if x.effective else x.note or "not effective"
            out.append(f"- {_code(x.move)}: {_md(verdict)}")
        out.append("")
    if d.command_effects:
        out += [
            "What each of your commands that could change the market was worth (score without it, against yours):",
            "",
        ]
        for effect in d.command_effects:
            verdict = (
                f"made it worse by {usd(effect.cost_usd)}"
                if effect.cost_usd > 0.5
                else f"saved {usd(-effect.cost_usd)}"
                if effect.cost_usd < -0.5
                else "made no difference"
            )
            out.append(f"- {effect.at} {_code(effect.command)}{_times(effect)}: {verdict}")
        out.append("")
    out += [f"*{_md(n)}*" for n in d.notes] + ([""] if d.notes else [])
    if d.pending:
        out += ["*Still computing: " + "; ".join(_md(x) for x in d.pending) + "*", ""]
    out += ["## After-action review", ""]
    for lesson in d.lessons:
        mark = "Keep" if lesson.verdict == "keep" else "Change"
        out += [
            f"### {mark}: {_md(lesson.title)}",
            "",
            f"- **Expected:** {_md(lesson.expected)}",
            f"- **What happened:** {_md(lesson.happened)}",
            f"- **Why it matters:** {_md(lesson.why)}",
            f"- **{mark}:** {_md(lesson.advice)}",
            "",
        ]
    out += ["## Timeline", ""]
    for r in timeline_rows(d):
        e = r.event
        if r.kind == "command":
            status = e.status or ""
            fin = f" at {e.finished_at}" if e.finished_at and e.finished_at != r.at else ""
            who = f" ({_md(e.by)})" if e.by not in (None, "trainee") else ""  # a crew member
            out.append(f"- `{r.at}` \u25b6 {_code(r.title)}{who}: {_md(status)}{fin}")
            lines = r.detail.strip().splitlines()
            if len(lines) == 1:
                out[-1] += f": {_md(lines[0])}"
            elif lines:
                fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", r.detail)), default=0))
                out += ["", f"  {fence}"] + [f"  {ln}" for ln in lines] + [f"  {fence}", ""]
        elif r.kind == "facilitator":
            out.append(
                f"- `{r.at}` facilitator: {_code(r.title)}"
                + (f": {_md(_first_line(r.detail))}" if r.detail.strip() else "")
            )
        elif r.kind in ("email", "call"):
            many = f"{r.count} \u00d7 " if r.count > 1 else ""
            where = " (waiting when your clock started)" if e.before_start else ""
            out.append(f"- `{_when(r)}` {many}{r.kind} from {_md(e.sender)}{where}: \u201c{_md(r.title)}\u201d")
        elif r.kind == "alert":
            out.append(f"- `{r.at}` ALERT {_md(r.title)} ({_md(e.status)})")
        elif r.kind == "phase":
            out.append(f"- `{r.at}` **{_md(r.title)}**")
        else:
            out.append(f"- `{r.at}` *{_md(r.title)}*")
    out.append("")
    out.append(f"*Generated by drill {__version__} from {_code(d.journal)}.*")
    return "\n".join(out) + "\n"


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


def to_html(d: Debrief) -> str:
    c = d.card
    cols = colours(d)
    p = [
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
    p.append(f"<h1>Debrief: {_e(d.title)}</h1>")
    p.append(
        f'<p class="sub">{_e(d.difficulty)} difficulty \u00b7 seed {d.seed} \u00b7 times are the scenario\u2019s clock '
        f"({_e(d.clock_zone)}) \u00b7 journal <code>{_e(d.journal)}</code></p>"
    )
    for w in d.warnings:
        p.append(f'<div class="warn"><strong>Warning:</strong> {_e(w)}</div>')
    if d.pending:
        p.append(f'<div class="warn">Still computing: {_e("; ".join(d.pending))}</div>')
    # The hero: the grade and the headline figures, big enough for the back of the room.
    figs = [
        ("Score", usd(c.score_usd), c.score_usd > 0),
        ("Loss", usd(c.loss_usd), c.loss_usd > 0),
        ("Collateral", usd(c.collateral_usd), False),
        ("Contained", c.contained_at or "never", not c.contained),
        ("Real incident", usd(c.historical.loss_usd) if c.historical else "n/a", False),
        ("Best play", usd(c.best_play.score_usd) if c.best_play else "\u2026", False),
    ]
    p.append('<section class="hero">')
    p.append(
        f'<div class="grade g-{_e(c.grade)}" aria-label="grade {_e(c.grade)}">{_e(c.grade)}</div><div class="figs">'
    )
    for k, v, bad in figs:
        p.append(
            f'<div class="fig{" bad" if bad else ""}"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>'
        )
    p.append("</div></section>")
    if c.bankrupt:
        p.append(
            f'<div class="warn"><strong>Bankrupt:</strong> the loss is more than the firm\u2019s capital of {_e(usd(c.capital_usd))}.</div>'
        )
    p.append('<h2>Score card</h2><table class="card">')
    for k, v in card_rows(d):
        p.append(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v).replace("`", "")}</td></tr>')
    p.append("</table>")
    p.append("<h2>Loss over time</h2>")
    p.append(f'<figure class="chart">{svg(d, title=False)}</figure>')
    if d.markers:
        p.append('<ol class="marks">')
        for m in d.markers:
            p.append(f"<li><code>{_e(m.at)}</code> <code>{_e(m.command)}</code> ({_e(m.status)})</li>")
        p.append("</ol>")
    if d.steering:
        p.append(
            "<p>The facilitator\u2019s commands, replayed as the facilitator\u2019s in every re-simulation and never "
            'edited:</p><ul class="steering">'
        )
        for m in d.steering:
            p.append(f"<li><code>{_e(m.at)}</code> <code>{_e(m.command)}</code></li>")
        p.append("</ul>")
    p.append("<h2>What it would have cost</h2>")
    p.append("<p>Each row is a re-simulation of your journal, edited: the same market, the same seed.</p>")
    p.append(
        '<table class="cf"><thead><tr><th>Counterfactual</th><th class="num">Loss</th><th class="num">Collateral</th>'
        '<th class="num">Score</th><th class="num">Against yours</th><th>Contained</th></tr></thead><tbody>'
    )
    you = cols.get("trainee", "#d62728")
    p.append(
        f'<tr class="you"><td><span class="swatch" style="border-color:{you}"></span>Your drill</td>'
        f'<td class="num">{_e(usd(c.loss_usd))}</td><td class="num">{_e(usd(c.collateral_usd))}</td>'
        f'<td class="num">{_e(usd(c.score_usd))}</td><td class="num"></td><td>{_e(c.contained_at or "never")}</td></tr>'
    )
    for cf in d.counterfactuals:
        sw = cols.get(cf.key)
        swatch = f'<span class="swatch" style="border-color:{sw}"></span>' if sw else ""
        note = f"<br><small>{_e(cf.note)}</small>" if cf.note else ""
        p.append(
            f'<tr><td>{swatch}{_e(cf.label)}{note}</td><td class="num">{_e(usd(cf.loss_usd))}</td>'
            f'<td class="num">{_e(usd(cf.collateral_usd))}</td><td class="num">{_e(usd(cf.score_usd))}</td>'
            f'<td class="num">{_delta_html(cf.delta_usd)}</td><td>{_e(cf.contained_at or "never")}</td></tr>'
        )
    p.append("</tbody></table>")
    if d.candidates:
        when = next((x.issued_at for x in d.candidates if x.issued_at), None)
        p.append(
            f"<details><summary>Containment moves tried at {_e(when or 'never')}, the first moment the fault was visible</summary><ul>"
        )
        for x in d.candidates:
            verdict = f"contains; score {usd(x.score_usd)}" if x.effective else (x.note or "not effective")
            p.append(f"<li><code>{_e(x.move)}</code>: {_e(verdict)}</li>")
        p.append("</ul></details>")
    if d.command_effects:
        p.append("<details open><summary>What each of your commands was worth</summary><ul>")
        for effect in d.command_effects:
            verdict = (
                f'<span class="worse">made it worse by {_e(usd(effect.cost_usd))}</span>'
                if effect.cost_usd > 0.5
                else f'<span class="better">saved {_e(usd(-effect.cost_usd))}</span>'
                if effect.cost_usd < -0.5
                else "made no difference"
            )
            p.append(
                f"<li><code>{_e(effect.at)}</code> <code>{_e(effect.command)}</code>{_e(_times(effect))}: {verdict}</li>"
            )
        p.append("</ul></details>")
    for n in d.notes:
        p.append(f"<p><small>{_e(n)}</small></p>")
    p.append("<h2>After-action review</h2>")
    for lesson in d.lessons:
        p.append(
            f'<div class="lesson {_e(lesson.verdict)}"><span class="tag">{_e(lesson.verdict)}</span><h3>{_e(lesson.title)}</h3><dl>'
            f"<dt>Expected</dt><dd>{_e(lesson.expected)}</dd><dt>What happened</dt><dd>{_e(lesson.happened).replace('`', '')}</dd>"
            f"<dt>Why it matters</dt><dd>{_e(lesson.why)}</dd><dt>{'Keep' if lesson.verdict == 'keep' else 'Change'}</dt>"
            f"<dd>{_e(lesson.advice)}</dd></dl></div>"
        )
    p.append('<h2>Timeline</h2><table class="tl"><tbody>')
    for r in timeline_rows(d):
        e = r.event
        if r.kind == "command":
            lines = r.detail.strip().splitlines()
            fin = f" at {e.finished_at}" if e.finished_at and e.finished_at != r.at else ""
            who = f'<span class="tag-k">{_e(e.by)}</span>' if e.by not in (None, "trainee") else ""  # a crew member
            body = f'{who}{_e(r.title)} <span class="tag-k">{_e(e.status or "")}{_e(fin)}</span>'
            if len(lines) == 1:
                body += f"<br><span>{_e(lines[0])}</span>"
            elif lines:
                body += f"<details><summary>{_e(lines[0])}</summary><pre>{_e(chr(10).join(lines))}</pre></details>"
            p.append(f'<tr class="command"><td class="t">{_e(r.at)}</td><td class="what">{body}</td></tr>')
        elif r.kind in ("email", "call"):
            many = f"{r.count} \u00d7 " if r.count > 1 else ""
            where = " \u00b7 waiting when your clock started" if e.before_start else ""
            sig = ' <span class="signal">pointed at the fault</span>' if e.signal else ""
            p.append(
                f'<tr class="msg"><td class="t">{_e(_when(r))}</td><td><span class="tag-k">{_e(r.kind)}</span>'
                f"{_e(many)}<strong>{_e(e.sender)}</strong>: \u201c{_e(r.title)}\u201d{_e(where)}{sig}</td></tr>"
            )
        elif r.kind == "alert":
            p.append(
                f'<tr class="alert"><td class="t">{_e(r.at)}</td><td><span class="tag-k">alert</span>{_e(r.title)} '
                f"({_e(e.status)})</td></tr>"
            )
        elif r.kind == "facilitator":
            p.append(
                f'<tr class="facilitator"><td class="t">{_e(r.at)}</td><td><span class="tag-k">facilitator</span>'
                f"<code>{_e(r.title)}</code> {_e(_first_line(r.detail))}</td></tr>"
            )
        else:
            p.append(f'<tr class="{_e(r.kind)}"><td class="t">{_e(r.at)}</td><td>{_e(r.title)}</td></tr>')
    p.append("</tbody></table>")
    p.append(
        f"<footer>Generated by drill {_e(__version__)} from <code>{_e(d.journal)}</code>. Every counterfactual is a "
        f"re-simulation of the journal, edited; rules in the project\u2019s docs/debrief.md.</footer>"
    )
    p += ["</main>", "</body>", "</html>"]
    return "\n".join(p) + "\n"
