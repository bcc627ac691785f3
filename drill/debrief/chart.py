"""The loss chart as SVG, written by hand: a handful of polylines, axes and labels need no plotting
library, and the same markup works as a standalone .svg file and inline in the HTML page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape

from drill.debrief.fmt import usd
from drill.debrief.model import Debrief, Marker, Series
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


def _peak(s: Series) -> float:
    return max((v for _, v in s.points), default=0.0)


def _is_reference(s: Series) -> bool:
    return s.kind in ("historical", "best")


def _fitted_top(d: Debrief) -> float:
    """The highest loss the axis must show: the trainee's own curves, and the reference plays too
    unless one is many times larger (then it is clipped) or there is nothing of the trainee's to protect."""
    top = max((_peak(s) for s in d.curves if not _is_reference(s)), default=0.0)
    refs = [_peak(s) for s in d.curves if _is_reference(s)]
    if top <= 0 or _comparable(top, refs):
        return max([top, *refs])  # nothing to protect, or the plays are comparable
    return top


def _comparable(top: float, peaks: list[float]) -> bool:
    """Some reference play above the top is within three times it."""
    return any(peak <= 3 * top for peak in peaks if peak > top)


def scale(d: Debrief) -> tuple[float, set[str]]:
    """The y axis's top, and the series that run off it. The axis fits the trainee's curve and the
    counterfactuals of the trainee's own play; a reference play (historical, best) many times larger
    would flatten them into the axis, so it is clipped at the top and its figure written there."""
    top = _fitted_top(d)
    capital = d.card.capital_usd
    if capital > 0 and top >= 0.25 * capital:
        top = max(top, capital)  # bankruptcy is in sight: show where it is
    ymax = nice_ceiling(max(top, 1.0) * 1.05)
    return ymax, {s.key for s in d.curves if _peak(s) > ymax}


@dataclass(frozen=True)
class _Plot:
    """Where things go: the time span, the y axis's top, and the page's height."""

    x0: int
    x1: int
    ymax: float
    height: int
    show_capital: bool

    def x(self, t: float) -> float:
        return MARGIN_L + (t - self.x0) / max(1, self.x1 - self.x0) * (WIDTH - MARGIN_L - MARGIN_R)

    def y(self, v: float) -> float:
        return MARGIN_T + PLOT_H - v / self.ymax * PLOT_H


def _plot(d: Debrief, ymax: float) -> _Plot:
    x1 = max([d.end_t, *(s.points[-1][0] for s in d.curves if s.points)])
    show_capital = 0 < d.card.capital_usd <= ymax
    legend_rows = len(d.curves) + (1 if show_capital else 0) + (1 if d.markers else 0)
    height = MARGIN_T + PLOT_H + AXIS_H + LEGEND_ROW * max(1, legend_rows) + 16
    return _Plot(d.start_t, x1, ymax, height, show_capital)


def _dash_attr(s: Series) -> str:
    dash = DASH.get(s.kind, "")
    return f' stroke-dasharray="{dash}"' if dash else ""


def _stroke_width(s: Series) -> float:
    return 3.2 if s.kind == "trainee" else 2


def _desc(d: Debrief, g: _Plot) -> str:
    """What the chart shows, in words (for screen readers)."""
    trainee = next((s for s in d.curves if s.kind == "trainee"), None)
    final = f"; your drill ended at a loss of {usd(trainee.points[-1][1])}" if trainee and trainee.points else ""
    return (
        f'<desc id="chart-desc">Trading loss from {fmt_clock(g.x0)} to {fmt_clock(g.x1)} ({d.clock_zone}) for your drill '
        f"and {len(d.curves) - (1 if trainee else 0)} counterfactuals{escape(final)}.</desc>"
    )


def _frame(d: Debrief, g: _Plot, title: bool) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {g.height}" width="{WIDTH}" height="{g.height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="13">',
        f'<title id="chart-title">Loss over time: {escape(d.title)}</title>',
    ]
    out.append(_desc(d, g))
    out.append(f'<rect x="0" y="0" width="{WIDTH}" height="{g.height}" fill="#ffffff"/>')
    if title:
        out.append(
            f'<text x="{MARGIN_L}" y="20" font-size="16" font-weight="bold" fill="#222">Loss over time '
            f'<tspan font-weight="normal" fill="#555">({escape(d.clock_zone)}, sim clock)</tspan></text>'
        )
    return out


def _y_axis(g: _Plot) -> list[str]:
    out = []
    for i in range(6):
        v = g.ymax * i / 5
        y = g.y(v)
        out.append(f'<line x1="{MARGIN_L}" y1="{y:.1f}" x2="{WIDTH - MARGIN_R}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{MARGIN_L - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{usd_round(v)}</text>')
    return out


def _tick_minutes(span_ms: int) -> int:
    """Ticks every 5 minutes (10, 15 or 30 on long clocks)."""
    span_min = span_ms / 60_000
    return 5 if span_min <= 75 else 10 if span_min <= 150 else 15 if span_min <= 240 else 30


def _x_axis(g: _Plot) -> list[str]:
    step = _tick_minutes(g.x1 - g.x0) * 60_000
    out = []
    for t in range(-(-g.x0 // step) * step, g.x1 + 1, step):
        x = g.x(t)
        out.append(f'<line x1="{x:.1f}" y1="{MARGIN_T}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="#f0f0f0"/>')
        anchor = "end" if x > WIDTH - MARGIN_R - 20 else "middle"  # the last label stays inside
        out.append(
            f'<text x="{x:.1f}" y="{MARGIN_T + PLOT_H + 18}" text-anchor="{anchor}" fill="#444">{fmt_clock(t)[:5]}</text>'
        )
    return [
        *out,
        f'<line x1="{MARGIN_L}" y1="{MARGIN_T + PLOT_H}" x2="{WIDTH - MARGIN_R}" y2="{MARGIN_T + PLOT_H}" stroke="#888"/>',
        f'<line x1="{MARGIN_L}" y1="{MARGIN_T}" x2="{MARGIN_L}" y2="{MARGIN_T + PLOT_H}" stroke="#888"/>',
    ]


def _open_line(d: Debrief, g: _Plot) -> list[str]:
    if not g.x0 < d.open_t < g.x1:
        return []
    x = g.x(d.open_t)
    return [
        f'<line x1="{x:.1f}" y1="{MARGIN_T}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="#555" stroke-dasharray="3 3"/>',
        f'<text x="{x + 4:.1f}" y="{MARGIN_T + PLOT_H - 6}" fill="#555" font-size="12">market opens</text>',
    ]


def _capital_line(d: Debrief, g: _Plot) -> list[str]:
    if not g.show_capital:
        return []
    capital = d.card.capital_usd
    y = g.y(capital)
    return [
        f'<line x1="{MARGIN_L}" y1="{y:.1f}" x2="{WIDTH - MARGIN_R}" y2="{y:.1f}" stroke="#8b0000" '
        f'stroke-dasharray="10 4" stroke-width="1.2"/>',
        # Labelled at the left, before the open, where no curve has left $0 yet.
        f'<text x="{MARGIN_L + 6}" y="{y - 5:.1f}" fill="#8b0000" font-size="12">'
        f"firm\u2019s capital {usd(capital)}: bankrupt above</text>",
    ]


def _marker(i: int, m: Marker, x: float, level: int) -> str:
    colour = "#b8860b" if m.status == "refused" else "#333"
    return (
        f'<g class="marker"><title>{i}. {m.at} {escape(m.command)} ({escape(m.status)})</title>'
        f'<line x1="{x:.1f}" y1="{MARGIN_T + 10}" x2="{x:.1f}" y2="{MARGIN_T + PLOT_H}" stroke="{colour}" '
        f'stroke-opacity="0.35" stroke-dasharray="1 3"/>'
        f'<path d="M{x - 5:.1f},{MARGIN_T - 2} L{x + 5:.1f},{MARGIN_T - 2} L{x:.1f},{MARGIN_T + 7} Z" fill="{colour}"/>'
        f'<text x="{x:.1f}" y="{MARGIN_T - 6 - 11 * level}" text-anchor="middle" font-size="11" fill="{colour}">{i}</text></g>'
    )


def _markers(d: Debrief, g: _Plot) -> list[str]:
    """The trainee's commands: a numbered tick along the top and a faint line down."""
    out = []
    last_x, level = -1e9, 0
    for i, m in enumerate(d.markers, 1):
        if not g.x0 <= m.t <= g.x1:
            continue
        x = g.x(m.t)
        level = (level + 1) % 3 if x - last_x < 14 else 0  # numbers of close commands stack upwards
        last_x = x
        out.append(_marker(i, m, x, level))
    return out


def _curves(d: Debrief, g: _Plot, cols: dict[str, str]) -> list[str]:
    """Counterfactuals first, the trainee's on top."""
    out = []
    for s in sorted((s for s in d.curves if s.points), key=lambda s: s.kind == "trainee"):
        pts = " ".join(f"{g.x(t):.1f},{g.y(min(v, g.ymax)):.1f}" for t, v in s.points)
        out.append(
            f'<polyline class="series series-{escape(s.kind)}" fill="none" stroke="{cols[s.key]}" stroke-width="{_stroke_width(s)}" '
            f'stroke-linejoin="round"{_dash_attr(s)} points="{pts}"><title>{escape(s.label)}</title></polyline>'
        )
    return out


def _clipped(d: Debrief, g: _Plot, cols: dict[str, str], clipped: set[str]) -> list[str]:
    """Where a series runs off the top, its peak written there."""
    return [_clip_label(s, g, cols[s.key]) for s in d.curves if s.key in clipped]


def _clip_label(s: Series, g: _Plot, colour: str) -> str:
    """Where the series leaves the top: its name and its peak, kept inside the chart."""
    t_out = next(t for t, v in s.points if v > g.ymax)
    x = min(g.x(t_out), WIDTH - MARGIN_R - 4)
    end = x > WIDTH - MARGIN_R - 240
    return (
        f'<text x="{x + (-4 if end else 4):.1f}" y="{MARGIN_T + 14}" text-anchor="{"end" if end else "start"}" '
        f'font-size="12" fill="{colour}">\u2191 off the chart: {escape(s.label.split(":")[0])} '
        f"reaches {usd(_peak(s))}</text>"
    )


def _legend_series(s: Series, colour: str, y: int) -> list[str]:
    last = s.points[-1][1] if s.points else 0.0
    return [
        f'<line x1="{MARGIN_L}" y1="{y - 4}" x2="{MARGIN_L + 34}" y2="{y - 4}" stroke="{colour}" '
        f'stroke-width="{_stroke_width(s)}"{_dash_attr(s)}/>',
        f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">{escape(s.label)} '
        f'<tspan fill="#555">\u2014 loss {usd(last)}</tspan></text>',
    ]


def _legend_capital(y: int) -> list[str]:
    return [
        f'<line x1="{MARGIN_L}" y1="{y - 4}" x2="{MARGIN_L + 34}" y2="{y - 4}" stroke="#8b0000" stroke-dasharray="10 4"/>',
        f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">the firm\u2019s capital: the firm is bankrupt above it</text>',
    ]


def _legend_markers(y: int) -> list[str]:
    x = MARGIN_L + 17
    return [
        f'<path d="M{x - 5},{y - 10} L{x + 5},{y - 10} L{x},{y - 1} Z" fill="#333"/>',
        f'<text x="{MARGIN_L + 44}" y="{y}" fill="#222">your commands, numbered in the order you gave them</text>',
    ]


def _legend(d: Debrief, g: _Plot, cols: dict[str, str]) -> list[str]:
    """One row per series, with the final loss; then the capital's line and the commands' ticks."""
    rows: list[Callable[[int], list[str]]] = [partial(_legend_series, s, cols[s.key]) for s in d.curves]
    if g.show_capital:
        rows.append(_legend_capital)
    if d.markers:
        rows.append(_legend_markers)
    top = MARGIN_T + PLOT_H + AXIS_H
    return [line for i, row in enumerate(rows) for line in row(top + i * LEGEND_ROW)]


def svg(d: Debrief, title: bool = True) -> str:
    """The chart: every curve of the debrief, the trainee's commands numbered along the top, the
    open and the firm's capital marked. Standalone SVG 1.1 (also valid inline in HTML)."""
    ymax, clipped = scale(d)
    g = _plot(d, ymax)
    cols = colours(d)
    parts = [
        _frame(d, g, title),
        _y_axis(g),
        _x_axis(g),
        _open_line(d, g),
        _capital_line(d, g),
        _markers(d, g),
        _curves(d, g, cols),
        _clipped(d, g, cols, clipped),
        _legend(d, g, cols),
        ["</svg>"],
    ]
    return "\n".join(line for part in parts for line in part) + "\n"
