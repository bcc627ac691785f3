"""`drill debrief` exports, as a facilitator gets them: Markdown with its chart beside it, JSON with
every figure, a self-contained HTML page; the page and the chart looked at as pictures."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from drill.debrief.chart import TRAINEE_COLOUR, svg
from drill.debrief.export import to_html

from .conftest import CHROMIUM, drill, drill_here, screenshot

SVG_NS = "{http://www.w3.org/2000/svg}"


def test_markdown_has_its_chart_beside_it_and_reads_as_a_postmortem(tmp_path, rollback_journal, shared_data):
    out = tmp_path / "report" / "postmortem.md"
    p = drill_here("debrief", rollback_journal, "--out", out, data_dir=shared_data)
    assert p.returncode == 0, p.stderr
    md = out.read_text()
    chart = out.with_suffix(".svg")
    assert chart.is_file() and "![Loss over time" in md and "](postmortem.svg)" in md
    assert f"wrote {out}" in p.stderr and f"wrote {chart}" in p.stderr and p.stdout == ""
    for heading in ("# Debrief: Knightmare", "## Score card", "## Loss over time", "## What it would have cost",
                    "## After-action review", "## Timeline"):
        assert heading in md, heading
    assert "**Grade F**" in md and "bankrupt" in md
    assert "| Without rollback (09:40:00) (rollback at 09:40:00 cost $" in md
    assert "### Change: Rolling back is not automatically safe" in md
    assert re.search(r"\d+ \u00d7 email from SMARS automated \(waiting when your clock started\)", md)
    assert "- `09:40:00` \u25b6 `rollback`: done at 09:42:00: all 8 servers rolled back" in md
    root = ET.fromstring(chart.read_text())
    assert root.tag == f"{SVG_NS}svg"
    assert len(root.findall(f".//{SVG_NS}polyline")) == 5  # yours and four counterfactuals


def test_markdown_to_stdout_writes_the_chart_next_to_the_journal(rollback_journal, shared_data):
    p = drill("debrief", rollback_journal, data_dir=shared_data)  # a real process: a whole debrief as a shell runs it
    assert p.returncode == 0, p.stderr
    chart = rollback_journal.with_name(rollback_journal.stem + ".debrief.svg")
    assert chart.is_file() and f"]({chart})" in p.stdout and f"wrote {chart}" in p.stderr
    assert p.stdout.startswith("# Debrief: ")


def test_json_has_every_figure(rollback_journal, shared_data, rollback_debrief):
    p = drill_here("debrief", rollback_journal, "--format", "json", data_dir=shared_data)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["format"] == 1 and data["complete"] is True and data["done"] == data["total"]
    card = data["card"]
    for key in ("loss_usd", "collateral_usd", "score_usd", "grade", "bankrupt", "visible_at", "time_to_first_diagnostic_s",
                "time_to_containment_s", "time_to_recovery_s", "historical", "best_play", "historical_play"):
        assert key in card, key
    assert card["score_usd"] == rollback_debrief.card.score_usd and card["historical"]["loss_usd"] == 460e6
    cfs = data["counterfactuals"]
    assert len(cfs) == 4 and all(isinstance(c["label"], str) and isinstance(c["loss_usd"], float) for c in cfs)
    assert {c["kind"] for c in cfs} == {"earliest", "without", "historical", "best"}
    assert all({"score_usd", "collateral_usd", "delta_usd", "contained_at", "commands"} <= set(c) for c in cfs)
    assert {t["kind"] for t in data["timeline"]} >= {"clock", "phase", "email", "call", "command", "end"}
    assert data["timeline"][-1]["kind"] == "end"
    assert data["curves"][0]["key"] == "trainee" and data["curves"][0]["points"][0] == {"t": data["start_t"], "loss_usd": 0.0}
    assert [l["verdict"] for l in data["lessons"]].count("change") == 4
    assert len(data["candidates"]) == 5 and data["command_effects"][0]["command"] == "rollback"


def test_html_is_one_self_contained_page(rollback_journal, shared_data):
    p = drill_here("debrief", rollback_journal, "--format", "html", data_dir=shared_data)
    assert p.returncode == 0, p.stderr
    page = rollback_journal.with_name(rollback_journal.stem + ".debrief.html")
    assert f"wrote {page}" in p.stderr and p.stdout == ""
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<style>" in html
    # Nothing to fetch: no scripts, stylesheets, images, fonts or frames from anywhere.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["http://www.w3.org/2000/svg"]  # the SVG namespace, not a fetch


def _png(path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow reads the screenshots (pip install '.[test]')")
    return Image.open(path).convert("RGB")


def _near(im, rgb, tol=40):
    r0, g0, b0 = rgb
    w, h = im.size
    px = im.load()
    return [(x, y) for y in range(0, h) for x in range(0, w)
            if abs(px[x, y][0] - r0) <= tol and abs(px[x, y][1] - g0) <= tol and abs(px[x, y][2] - b0) <= tol]


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium for the headless screenshot (apt-get install chromium)")
def test_the_html_page_renders_in_a_browser(tmp_path, rollback_debrief):
    page = tmp_path / "debrief.html"
    page.write_text(to_html(rollback_debrief))
    shot = screenshot(page, tmp_path / "page.png", (1280, 1600))
    im = _png(shot)
    assert im.size == (1280, 1600)
    # The grade badge: a big block of the F colour near the top left.
    badge = [(x, y) for x, y in _near(im.crop((0, 0, 400, 400)), (0xB0, 0x00, 0x20), tol=20)]
    assert len(badge) > 10_000, len(badge)
    # The chart is drawn (not a broken image): the trainee's curve in its colour, below the score card.
    red = _near(im.crop((0, 1100, 1280, 1600)), _rgb(TRAINEE_COLOUR), tol=30)
    assert len(red) > 300, len(red)


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium to render the SVG chart")
def test_the_chart_renders_and_the_trainee_curve_climbs(tmp_path, rollback_debrief):
    chart = tmp_path / "chart.svg"
    chart.write_text(svg(rollback_debrief))
    from drill.debrief.chart import MARGIN_L, MARGIN_R, MARGIN_T, PLOT_H, WIDTH

    shot = screenshot(chart, tmp_path / "chart.png", (WIDTH, 640))
    im = _png(shot).crop((MARGIN_L, MARGIN_T, WIDTH - MARGIN_R, MARGIN_T + PLOT_H))  # the plot area
    red = _near(im, _rgb(TRAINEE_COLOUR), tol=30)
    assert len(red) > 500
    left = [y for x, y in red if x < 150]  # 09:20-09:30: nothing lost yet, at the bottom
    right = [y for x, y in red if x > im.size[0] - 40]  # 10:15: about $778M, near the top
    assert left and right and min(right) < max(left) - 200, (min(right), max(left))
    # The counterfactuals' colours are there too (the earliest containment's line lies along $0).
    from drill.debrief.chart import PALETTE

    assert len(_near(im, _rgb(PALETTE[1]), tol=30)) > 100  # without the rollback


def test_markdown_carries_no_control_character_of_a_journal(rollback_debrief):
    # The Markdown goes to a terminal by default (stdout): a journal's text (a hint the
    # facilitator pushed, a command, an email) with escape sequences must not drive that terminal.
    # They show escaped; markup shows as typed; the HTML escapes them its own way.
    from dataclasses import replace

    from drill.debrief.export import to_markdown

    hostile = "\x1b]0;pwn\x07 \x1b[2J \x9b31m [/x] [@click=app.quit]"
    timeline = tuple(
        replace(e, title=f"push-hint {hostile}", detail=f"hint sent: {hostile}", kind="facilitator", by="facilitator")
        if e.kind == "command" else replace(e, title=e.title + hostile) if e.kind == "email" else e
        for e in rollback_debrief.timeline)
    d = replace(rollback_debrief, timeline=timeline)
    md = to_markdown(d, "chart.svg")
    controls = {c for c in md if not c.isprintable() and c != "\n"}
    assert not controls, controls
    assert "\\x1b]0;pwn\\x07" in md and "[/x] [@click=app.quit]" in md
    page = to_html(d)  # a file for a browser, not a terminal: the markup is escaped as HTML
    assert "[/x] [@click=app.quit]" in page and "<script" not in page
