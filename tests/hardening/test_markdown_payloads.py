"""Issue 12 part 4: the Markdown export carries scenario text escaped, so a viewer that renders it
with HTML on runs nothing (the HTML export's escaping is tested in tests/debrief)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from drill.debrief import build
from drill.debrief.export import to_markdown
from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import parse_script
from drill.timefmt import fmt_clock
from tests.hardening import support

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[click](javascript:alert(3))",
            "<iframe src=javascript:alert(4)></iframe>", "![x](javascript:alert(5))", "<a href='javascript:alert(6)'>a</a>",
            "``` </code><svg onload=alert(7)>"]
# What Markdown itself produces from the export; anything else in the HTML came from a payload.
SAFE_TAGS = {"h1", "h2", "h3", "p", "em", "strong", "code", "pre", "ul", "ol", "li", "table", "thead", "tbody", "tr",
             "th", "td", "blockquote", "img", "br", "hr"}


@pytest.mark.skipif("knightmare" not in support.scenario_ids(), reason="built on knightmare's timeline")
def test_scenario_text_in_the_markdown_export_runs_nothing_when_rendered_with_html(tmp_path):
    data = support.tiny_data("knightmare")
    data["title"] = PAYLOADS[0]
    for i, ev in enumerate(data["timeline"]["events"]):
        ev["subject"] = PAYLOADS[i % len(PAYLOADS)]
        ev["sender"] = PAYLOADS[(i + 1) % len(PAYLOADS)]
    for i, lesson in enumerate(data.get("lessons", [])):
        for key in ("title", "expected", "why", "advice"):
            if isinstance(lesson.get(key), str):
                lesson[key] = PAYLOADS[(i + 2) % len(PAYLOADS)]
    sc = load(str(support.write_scenario("knightmare", data, tmp_path / "sc")))
    j = tmp_path / "j.jsonl"
    run_script(sc, None, None, parse_script(f"{fmt_clock(sc.spec.clock.start + 1000)} hint\n"), j)
    md = to_markdown(build(j, workers=1, cache=False), "chart.svg")
    assert "alert(" in md  # the payloads are in the report, as text
    rendered = MarkdownIt("commonmark", {"html": True}).render(md)
    tags = re.findall(r"<([a-zA-Z][\w-]*)([^>]*)>", rendered)
    assert {t for t, _ in tags} <= SAFE_TAGS, {t for t, _ in tags} - SAFE_TAGS
    for tag, attrs in tags:
        assert not re.search(r"\bon\w+\s*=|javascript:", attrs, re.I), (tag, attrs)
        if tag == "img":
            assert attrs.startswith(' src="chart.svg"'), attrs  # the chart, and nothing else
