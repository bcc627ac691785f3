"""The loss chart as SVG, written by hand: a handful of polylines, axes and labels need no plotting
library, and the same markup works as a standalone .svg file and inline in the HTML page."""

from __future__ import annotations

from xml.sax.saxutils import escape

from drill.debrief.fmt import usd
from drill.debrief.model import Debrief
from drill.money import nice_ceiling, usd_round
from drill.timefmt import fmt_clock

WIDTH = 1000
PLOT_H = 380
MARGIN_L, MARGIN_R, MARGIN_T = 84, 24, 60
AXIS_H = 46
LEGEND_ROW = 22

TRAINEE_COLOUR = "#d62728"
# Colour-blind-friendly (Okabe-Ito) for the counterfactuals, by kind then order.
PALETTE = ["#0072b2", "#009e73", "#e69f00", "#56b4e9", "#cc79a7", "#7f7f7f", "#f0e442", "#000000"]
DASH = {"historical": "8 5", "best": "2 4", "earliest": "", "without": "", "earlier": "5 3"}


def colours(d: Debrief) -> dict[str, str]:
    """Series key -> colour, shared by the chart and the tables that name the series."""
    out, i = {}, 0
    for s in d.curves:
        if s.kind == "trainee":
            out[s.key] = TRAINEE_COLOUR
        else:
            out[s.key] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _peak(s) -> float:
    return max((v for _, v in s.points), default=0.0)


def scale(d: Debrief) -> tuple[float, set[str]]:
    """The y axis's top, and the series that run off it. The axis fits the trainee's curve and the
    counterfactuals of the trainee's own play; a reference play (historical, best) many times larger
    would flatten them into the axis, so it is clipped at the top and its figure written there."""
    own = [s for s in d.curves if s.kind not in ("historical", "best")]
    top = max((_peak(s) for s in own), default=0.0)
    refs = [s for s in d.curves if s.kind in ("historical", "best")]
    if top <= 0 or any(_peak(s) <= 3 * top for s in refs if _peak(s) > top):
        top = max([top] + [_peak(s) for s in refs])  # nothing to protect, or the plays are comparable
    capital = d.card.capital_usd
    if capital > 0 and top >= 0.25 * capital:
        top = max(top, capital)  # bankruptcy is in sight: show where it is
    ymax = nice_ceiling(max(top, 1.0) * 1.05)
    return ymax, {s.key for s in d.curves if _peak(s) > ymax}


def svg(d: Debrief, title: bool = True) -> str:
    """The chart: every curve of the debrief, the trainee's commands numbered along the top, the
    open and the firm's capital marked. Standalone SVG 1.1 (also valid inline in HTML)."""
    x0, x1 = d.start_t, d.end_t
    for s in d.curves:
        if s.points:
            x1 = max(x1, s.points[-1][0])
    ymax, clipped = scale(d)
    capital = d.card.capital_usd
    show_capital = 0 < capital <= ymax
    cols = colours(d)
    legend_rows = len(d.curves) + (1 if show_capital else 0) + (1 if d.markers else 0)
    height = MARGIN_T + PLOT_H + AXIS_H + LEGEND_ROW * max(1, legend_rows) + 16
    pw = WIDTH - MARGIN_L - MARGIN_R

    def X(t: float) -> float:
        return MARGIN_L + (t - x0) / max(1, x1 - x0) * pw

    def Y(v: float) -> float:
        return MARGIN_T + PLOT_H - v / ymax * PLOT_H

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="13">'
    ]
    out.append(f'<title id="chart-title">Loss over time: {escape(d.title)}</title>')
    trainee = next((s for s in d.curves if s.kind == "trainee"), None)
    final = f"; your drill ended at a loss of {usd(trainee.points[-1][1])}" if trainee and trainee.points else ""
    out.append(
        f'<desc id="chart-desc">Trading loss from {fmt_clock(x0)} to {fmt_clock(x1)} ({d.clock_zone}) for your drill '
        f"and {len(d.curves) - (1 if trainee else 0)} counterfactuals{escape(final)}.</desc>"
    )
    out.append(f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>')
    if title:
        out.append(
            f'<text x="{MARGIN_L}" y="20" font-size="16" font-weight="bold" fill="#222">Loss over time '
            f'<tspan font-weight="normal" fill="#555">({escape(d.clock_zone)}, sim clock)</tspan></text>'
        )
    # Grid and y axis.
    for i in range(6):
        v = ymax * i / 5
        y = Y(v)
        out.append(f'<line x1="{MARGIN_L}" y1="{y:.1f}" x2="{WIDTH - MARGIN_R}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{MARGIN_L - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{usd_round(v)}</text>')
    # x axis: ticks every 5 minutes (10 or 15 on long clocks).
    span_min = (x1 - x0) / 60_000
    step = 5 if span_min <= 75 else 10 if span_min <= 150 else 15 if span_min <= 240 else 30
    t = -(-x0 // (step * 60_000)) * step * 60_000
    while t <= x1:
        x = X(t)
        out.append(f'<line x1="{x:.1f}" y1="{MARGIN_T}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="#f0f0f0"/>')
        anchor = "end" if x > WIDTH - MARGIN_R - 20 else "middle"  # the last label stays inside
        out.append(
            f'<text x="{x:.1f}" y="{MARGIN_T + PLOT_H + 18}" text-anchor="{anchor}" fill="#444">{fmt_clock(t)[:5]}</text>'
        )
        t += step * 60_000
    out.append(
        f'<line x1="{MARGIN_L}" y1="{MARGIN_T + PLOT_H}" x2="{WIDTH - MARGIN_R}" y2="{MARGIN_T + PLOT_H}" stroke="#888"/>'
    )
    out.append(f'<line x1="{MARGIN_L}" y1="{MARGIN_T}" x2="{MARGIN_L}" y2="{MARGIN_T + PLOT_H}" stroke="#888"/>')
    # The open.
    if x0 < d.open_t < x1:
        x = X(d.open_t)
        out.append(
            f'<line x1="{x:.1f}" y1="{MARGIN_T}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="#555" stroke-dasharray="3 3"/>'
        )
        out.append(f'<text x="{x + 4:.1f}" y="{MARGIN_T + PLOT_H - 6}" fill="#555" font-size="12">market opens</text>')
    if show_capital:
        y = Y(capital)
        out.append(
            f'<line x1="{MARGIN_L}" y1="{y:.1f}" x2="{WIDTH - MARGIN_R}" y2="{y:.1f}" stroke="#8b0000" '
            f'stroke-dasharray="10 4" stroke-width="1.2"/>'
        )
        # Labelled at the left, before the open, where no curve has left $0 yet.
        out.append(
            f'<text x="{MARGIN_L + 6}" y="{y - 5:.1f}" fill="#8b0000" font-size="12">'
            f"firm\u2019s capital {usd(capital)}: bankrupt above</text>"
        )
    # The trainee's commands: a numbered tick along the top and a faint line down.
    last_x, level = -1e9, 0
    for i, m in enumerate(d.markers, 1):
        if not x0 <= m.t <= x1:
            continue
        x = X(m.t)
        level = (level + 1) % 3 if x - last_x < 14 else 0  # numbers of close commands stack upwards
        last_x = x
        colour = "#b8860b" if m.status == "refused" else "#333"
        out.append(
            f'<g class="marker"><title>{i}. {m.at} {escape(m.command)} ({escape(m.status)})</title>'
            f'<line x1="{x:.1f}" y1="{MARGIN_T + 10}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="{colour}" '
            f'stroke-opacity="0.35" stroke-dasharray="1 3"/>'
            f'<path d="M{x - 5:.1f},{MARGIN_T - 2} L{x + 5:.1f},{MARGIN_T - 2} L{x:.1f},{MARGIN_T + 7} Z" fill="{colour}"/>'
            f'<text x="{x:.1f}" y="{MARGIN_T - 6 - 11 * level}" text-anchor="middle" font-size="11" fill="{colour}">{i}</text></g>'
        )
    # Curves: counterfactuals first, the trainee's on top.
    for s in sorted(d.curves, key=lambda s: s.kind == "trainee"):
        if not s.points:
            continue
        pts = " ".join(f"{X(t):.1f},{Y(min(v, ymax)):.1f}" for t, v in s.points)
        width = 3.2 if s.kind == "trainee" else 2
        dash = DASH.get(s.kind, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline class="series series-{escape(s.kind)}" fill="none" stroke="{cols[s.key]}" stroke-width="{width}" '
            f'stroke-linejoin="round"{dash_attr} points="{pts}"><title>{escape(s.label)}</title></polyline>'
        )
    for s in d.curves:
        if s.key in clipped:
            t_out = next(t for t, v in s.points if v > ymax)
            x = min(X(t_out), WIDTH - MARGIN_R - 4)
            anchor = "end" if x > WIDTH - MARGIN_R - 240 else "start"
            out.append(
                f'<text x="{x + (-4 if anchor == "end" else 4):.1f}" y="{MARGIN_T + 14}" text-anchor="{anchor}" '
                f'font-size="12" fill="{cols[s.key]}">\u2191 off the chart: {escape(s.label.split(":")[0])} '
                f"reaches {usd(_peak(s))}</text>"
            )
    # Legend, one row per series, with the final loss.
    y = MARGIN_T + PLOT_H + AXIS_H
    for s in d.curves:
        dash = DASH.get(s.kind, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        width = 3.2 if s.kind == "trainee" else 2
        last = s.points[-1][1] if s.points else 0.0
        out.append(
            f'<line x1="{MARGIN_L}" y1="{y - 4}" x2="{MARGIN_L + 34}" y2="{y - 4}" stroke="{cols[s.key]}" '
            f'stroke-width="{width}"{dash_attr}/>'
        )
        out.append(
            f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">{escape(s.label)} '
            f'<tspan fill="#555">\u2014 loss {usd(last)}</tspan></text>'
        )
        y += LEGEND_ROW
    if show_capital:
        out.append(
            f'<line x1="{MARGIN_L}" y1="{y - 4}" x2="{MARGIN_L + 34}" y2="{y - 4}" stroke="#8b0000" stroke-dasharray="10 4"/>'
        )
        out.append(
            f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">the firm\u2019s capital: the firm is bankrupt above it</text>'
        )
        y += LEGEND_ROW
    if d.markers:
        x = MARGIN_L + 17
        out.append(f'<path d="M{x - 5},{y - 10} L{x + 5},{y - 10} L{x},{y - 1} Z" fill="#333"/>')
        out.append(
            f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">your commands, numbered in the order you gave them</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
