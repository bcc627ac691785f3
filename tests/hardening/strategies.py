"""Hypothesis strategies for nasty inputs: mutated scenario files (values, keys, text, bytes),
action lines, journals and command lines."""

from __future__ import annotations

import copy
import functools
import json
import random

from hypothesis import strategies as st

from drill.commands import VERBS
from tests.hardening import support

# -- nasty values ----------------------------------------------------------------------------------
EDGE_INTS = [0, -1, 1, 2, 7, 59, 60, 64, 65, 100, 1000, 1001, 3600, 3601, 4000, 5000, 5001, 6000, 10_000,
             100_000, 100_001, 200_000, 1_000_000, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63,
             2**64, -(2**63), -(2**63) - 1, 10**20, 10**300]
EDGE_FLOATS = [0.0, -0.0, -1.0, 0.5, 1e-300, 5e-324, 1e12, 1e12 + 1, 1e15, 1e308, float("inf"), float("-inf"),
               float("nan"), 0.1, 0.7, 1.0000001, 99.999, 100.0, 100.1]
NASTY_STRINGS = [
    "", " ", "\t", "\n", "\r\n", "#", "=", "[", "]", "{", "}", '"', "'", "\\", "\x00", "\x7f", "\u00a0",
    "\u200b", "\u202e", "\ufeff", "\ud800", "\udcff", "é", "ß", "İ", "ﬁ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🔥💥", "中文", "Ω≈ç√",
    "a" * 41, "a" * 61, "a" * 81, "a" * 121, "a" * 201, "a" * 301, "a" * 4001, "x" * 300,
    "..", "../..", "/", "/etc/passwd", "C:\\Windows", "plays/../../x.actions", "../none.actions",
    "plays/none.actions", "plays/missing.actions", "briefing.md", "runbook.md", "scenario.toml", "nonexistent.md",
    "{faulty_server}", "{faulty_server_9}", "%s%s%n", "${HOME}", "$(id)", "`id`", "<script>", "\x1b[31mred",
    "smars-1", "smars-9", "SMARS-1", "RLP", "rlp", "historical", "standard", "nightmare", "knightmare",
    "00:00:00", "23:59:59", "24:00:00", "09:30", "9:30", "09:30:00.5", "09:60:00", "-09:30:00", "٠٩:٣٠:٠٠",
    "²³:⁰⁰", "09:30:00 ", " 09:30:00", "1e3", "NaN", "inf", "true", "null", "None", "0x10", "1_000",
    "inspect", "rollback", "resolve", "kill-switch", "format-disk", "stop smars-1", "stop", " ", "A1",
    "runaway_untracked", "route_until_filled", "teleport", "email", "call", "fax",
    "best", "none", "mistake", "historical", "other", "command_before", "avoid_command",
]
KEY_NAMES = ["id", "title", "seed", "clock", "market", "firm", "releases", "fleet", "deploy", "flags", "flows",
             "behaviours", "timeline", "difficulties", "alerts", "hints", "action_seconds", "scoring", "plays",
             "lessons", "start", "end", "open", "world_start", "universe", "servers", "missed", "flag", "kind",
             "threshold", "controls", "risk_monitor", "grades", "file", "role", "expect", "check", "before",
             "commands", "rate_per_min", "qty_lots", "count", "subjects", "x", "", " ", "é", "a.b", "0"]

scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_INTS),
    st.floats(),
    st.sampled_from(EDGE_FLOATS),
    st.text(max_size=20),
    st.sampled_from(NASTY_STRINGS),
    st.times(),
    st.dates(),
    st.datetimes(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.sampled_from(KEY_NAMES) | st.text(max_size=6), scalars, max_size=3),
)


# -- scenario files --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _base(sid: str, kind: str) -> dict:
    return support.tiny_data(sid) if kind == "tiny" else support.toml_data(sid)


@functools.lru_cache(maxsize=None)
def _base_text(sid: str) -> str:
    return support.toml_text(sid)


def _paths(obj, path=()):
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


def _strings(obj) -> list[str]:
    return sorted({v for _, v in _paths(obj) if isinstance(v, str) and len(v) < 60})


def _parent(data, path):
    node = data
    for p in path[:-1]:
        node = node[p]
    return node


def mutate_data(draw, data: dict) -> str:
    """Apply one mutation to the parsed scenario in place; return what was done (for the log)."""
    all_paths = [p for p, _ in _paths(data)]
    op = draw(st.sampled_from(["set", "set", "set", "delete", "delete", "add", "rename", "grow", "empty",
                               "swapref", "number", "time", "wrap"]))
    path = draw(st.sampled_from(all_paths))
    if not path and op not in ("add",):
        op = "add"
    if op == "add":
        containers = [p for p, v in _paths(data) if isinstance(v, dict)]
        where = draw(st.sampled_from(containers))
        node = data
        for p in where:
            node = node[p]
        key = draw(st.sampled_from(KEY_NAMES) | st.text(min_size=1, max_size=10))
        node[key] = draw(values)
        return f"add {where}+{key!r}"
    parent = _parent(data, path)
    key = path[-1]
    current = parent[key]
    if op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        new = draw(st.sampled_from(KEY_NAMES) | st.text(min_size=0, max_size=10))
        parent[new] = parent.pop(key)
    elif op == "grow" and isinstance(current, (list, dict)) and current:
        times = draw(st.sampled_from([2, 3, 11, 51, 65, 101, 501]))
        if isinstance(current, list):
            parent[key] = (current * times)[: max(len(current) * times, 1)]
        else:
            for i in range(min(times, 60)):
                k0 = next(iter(current))
                current[f"{k0}{i}"] = copy.deepcopy(current[k0])
    elif op == "empty" and isinstance(current, (list, dict, str)):
        parent[key] = type(current)()
    elif op == "swapref" and isinstance(current, str):
        parent[key] = draw(st.sampled_from(_strings(data)) | st.sampled_from(NASTY_STRINGS))
    elif op == "number" and isinstance(current, (int, float)) and not isinstance(current, bool):
        choice = draw(st.sampled_from(["edge", "edgef", "neg", "scale", "off1"]))
        if choice == "edge":
            parent[key] = draw(st.sampled_from(EDGE_INTS))
        elif choice == "edgef":
            parent[key] = draw(st.sampled_from(EDGE_FLOATS))
        elif choice == "neg":
            parent[key] = -current if current else -1
        elif choice == "scale":
            parent[key] = current * draw(st.sampled_from([10, 1000, 10**6, 0.5, 1e-9]))
        else:
            parent[key] = current + draw(st.sampled_from([-1, 1]))
    elif op == "time":
        parent[key] = draw(st.sampled_from(["00:00:00", "23:59:59", "08:00:00", "09:29:59", "09:30:00", "09:30:01",
                                            "10:15:00", "12:00", "20:00:00", "24:00:00", "9:3", "99:99:99"])
                           | st.times())
    elif op == "wrap":
        parent[key] = draw(st.sampled_from([[current], {"value": current}, str(current), [current, current]]))
    else:
        parent[key] = draw(values)
    return f"{op} {path}"


TEXT_LINES = ["[clock]", "[market]", "[[flows]]", "[[releases]]", "[flags.RLP]", "id = \"dup\"", "x = 1",
              "universe = 1", "= 1", "a = ", "a = [", "a = {", "[a", "a.b.c = 1", "'''", '"""', "\\", "\x00",
              "\ufeffid = 1", "seed = -1", "[[clock]]", "[plays.none]", "clock = 1"]
HUGE_LINES = ["a = " + "[" * 3000, "a = " + "{ b = " * 2000, "a = " + "9" * 5000]


@st.composite
def mutate_text(draw, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["dup_table", "dup_line", "del_line", "swap", "insert", "truncate", "splice",
                                   "crlf", "huge"]))
        n = len(lines)
        i = draw(st.integers(0, max(0, n - 1)))
        if op == "dup_table":
            heads = [k for k, ln in enumerate(lines) if ln.startswith("[")]
            if heads:
                h = draw(st.sampled_from(heads))
                end = next((k for k in range(h + 1, n) if lines[k].startswith("[")), n)
                lines = lines + lines[h:end]
        elif op == "dup_line":
            lines.insert(i, lines[i])
        elif op == "del_line" and n > 1:
            del lines[i]
        elif op == "swap":
            j = draw(st.integers(0, max(0, n - 1)))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(TEXT_LINES) | st.text(max_size=40)))
        elif op == "truncate":
            joined = "\n".join(lines)
            cut = draw(st.integers(0, len(joined)))
            lines = joined[:cut].split("\n")
        elif op == "splice" and lines[i]:
            a = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:a] + draw(st.text(max_size=8)) + lines[i][a + draw(st.integers(0, 3)):]
        elif op == "crlf":
            lines = [ln + "\r" for ln in lines]
        elif op == "huge":
            lines.insert(i, draw(st.sampled_from(HUGE_LINES)))
    return "\n".join(lines)


@st.composite
def mutate_bytes(draw, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "bom", "invalid", "nul", "random"]))
        i = draw(st.integers(0, len(b)))
        if op == "flip" and b:
            j = min(i, len(b) - 1)
            b[j] ^= draw(st.integers(1, 255))
        elif op == "insert":
            b[i:i] = draw(st.binary(max_size=16))
        elif op == "delete":
            del b[i:i + draw(st.integers(1, 64))]
        elif op == "bom":
            b[0:0] = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]))
        elif op == "invalid":
            b[i:i] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]))
        elif op == "nul":
            b[i:i] = b"\x00"
        else:
            return draw(st.binary(max_size=600))
    return bytes(b)


@st.composite
def scenario_files(draw):
    """(bundled id it derives from, description, the scenario.toml bytes)."""
    sid = draw(st.sampled_from(support.scenario_ids()))
    base = draw(st.sampled_from(["full", "tiny"]))
    kind = draw(st.sampled_from(["data", "data", "data", "data", "data", "text", "text", "bytes"]))
    if kind == "data":
        data = copy.deepcopy(_base(sid, base))
        done = [mutate_data(draw, data) for _ in range(draw(st.integers(1, 4)))]
        text = support.dumps(data)
        return sid, base, f"data: {'; '.join(done)}", text.encode("utf-8", "surrogatepass")
    source = _base_text(sid) if base == "full" else support.dumps(_base(sid, base))
    if kind == "text":
        return sid, base, "text", draw(mutate_text(source)).encode("utf-8", "surrogatepass")
    return sid, base, "bytes", draw(mutate_bytes(source.encode("utf-8")))


# -- action lines ----------------------------------------------------------------------------------
SERVERS = ["smars-1", "smars-8", "SMARS-8", "smars-9", "smars-", "", "smars-1\u200b", "ｓｍａｒｓ-1", "a" * 300]
TIMES = ["09:20:00", "09:31:00", "09:31", "9:31:00", "09:31:00.5", "24:00:00", "23:59:59", "00:00:00", "08:00:00",
         "10:15:00", "10:15:01", "11:00:00", "99:99:99", "-1:00:00", "09:3l:00", "٠٩:٣١:٠٠", "²³:⁰⁰:⁰⁰", "09:31:00:00",
         "", "::", "09::31", "0x9:31:00", "+9:31:00", " 9:31:00"]
WORDS = sorted(VERBS) + ["explode", "STOP", "Inspect", "stоp", "kill switch", "killswitch", "resolve!", "#",
                         "hint#comment", "ack", "A1", "a1", "RLP", "rlp", "NOFLAG", "\t", "\x00", "\x1b[2J"]
SEPARATORS = [" ", "  ", "\t", "\u00a0", "\u2003", "\u3000", "", " \t "]
LINE_ENDS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", ""]


@st.composite
def action_line(draw) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "mixed", "mixed", "text", "comment"]))
    if kind == "text":
        return draw(st.text(max_size=60))
    if kind == "comment":
        return draw(st.sampled_from(["#", "# note", "   # x", "09:31:00 # only a time", "#09:31:00 stop smars-8"]))
    t = draw(st.sampled_from(TIMES) | st.times().map(lambda x: x.strftime("%H:%M:%S")))
    if kind == "valid":
        rng = random.Random(draw(st.integers(0, 2**32)))
        spec = support.scenario(draw(st.sampled_from(support.scenario_ids()))).spec
        return f"{t} {support.random_commands(rng, spec, 1)[0]}"
    words = draw(st.lists(st.sampled_from(WORDS) | st.sampled_from(SERVERS) | st.text(max_size=10), max_size=4))
    sep = draw(st.sampled_from(SEPARATORS))
    return t + draw(st.sampled_from(SEPARATORS)) + sep.join(words)


@st.composite
def action_files(draw) -> bytes:
    lines = draw(st.lists(action_line(), max_size=12))
    if draw(st.booleans()):
        lines.sort(key=lambda ln: ln[:8])  # mostly non-decreasing, like a real file
    ends = draw(st.lists(st.sampled_from(LINE_ENDS), min_size=len(lines), max_size=len(lines)))
    text = "".join(ln + e for ln, e in zip(lines, ends))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        data = draw(mutate_bytes(data))
    return data


# -- journals --------------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(EDGE_INTS[:-1]) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(NASTY_STRINGS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
RECORD_KEYS = ["type", "format", "program", "scenario", "scenario_hash", "scenario_path", "difficulty", "seed",
               "written", "seq", "t", "at", "command", "status", "result", "reason", "outcome"]
TYPES = ["header", "command", "result", "end", "bogus", "", "HEADER"]
JSON_LINES = ["", " ", "{", "}", "[]", "null", "1", '"header"', '{"type": 1}', '{"type": null}', "{'type': 'x'}",
              '{"type": "command"}', "[" * 5000, '{"seq": ' + "9" * 5000 + "}", '{"type":"end","t":NaN,"outcome":{}}',
              '{"type":"result","seq":Infinity}', "\ufeff{}", "\x00"]


@st.composite
def mutate_journal(draw, records: list[dict]) -> bytes:
    recs = copy.deepcopy(records)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["field", "field", "field", "delkey", "addkey", "delrec", "duprec", "swaprec",
                                   "newrec", "shift", "command", "seq", "header", "type"]))
        if not recs:
            recs.append({"type": draw(st.sampled_from(TYPES))})
            continue
        i = draw(st.integers(0, len(recs) - 1))
        r = recs[i]
        if op == "field" and r:
            r[draw(st.sampled_from(sorted(r)))] = draw(JSON_VALUES)
        elif op == "delkey" and r:
            del r[draw(st.sampled_from(sorted(r)))]
        elif op == "addkey":
            r[draw(st.sampled_from(RECORD_KEYS) | st.text(max_size=5))] = draw(JSON_VALUES)
        elif op == "delrec":
            del recs[i]
        elif op == "duprec":
            recs.insert(i, copy.deepcopy(r))
        elif op == "swaprec":
            j = draw(st.integers(0, len(recs) - 1))
            recs[i], recs[j] = recs[j], recs[i]
        elif op == "newrec":
            rec = {"type": draw(st.sampled_from(TYPES))}
            for k in draw(st.lists(st.sampled_from(RECORD_KEYS), max_size=5)):
                rec[k] = draw(JSON_VALUES)
            recs.insert(i, rec)
        elif op == "shift" and isinstance(r.get("t"), int):
            r["t"] += draw(st.sampled_from([-10**9, -60_000, -1, 1, 999, 1000, 60_000, 10**9, 10**20]))
        elif op == "command" and r.get("type") == "command":
            r["command"] = draw(action_line()).split(" ", 1)[-1]
        elif op == "seq" and "seq" in r:
            r["seq"] = draw(st.sampled_from([0, -1, 1, 2, 10**6, 2**63, "1", None, 1.0, True, [1]]))
        elif op == "header":
            h = recs[0]
            k = draw(st.sampled_from(["scenario", "scenario_hash", "scenario_path", "difficulty", "seed", "format"]))
            h[k] = draw(JSON_VALUES | st.sampled_from(["knightmare", "historical", "standard", 0, 2**63, -1, "/", ".", "a" * 300]))
        elif op == "type":
            r["type"] = draw(st.sampled_from(TYPES) | JSON_VALUES)
    lines = []
    for r in recs:
        try:
            lines.append(json.dumps(r, ensure_ascii=draw(st.booleans())))
        except (ValueError, TypeError):
            lines.append(str(r))
    style = draw(st.sampled_from(["plain", "plain", "plain", "torn", "garbage", "crlf", "blank", "bytes"]))
    if style == "torn" and lines:
        lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        text = "\n".join(lines)
    elif style == "garbage":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(JSON_LINES) | st.text(max_size=30)))
        text = "\n".join(lines) + "\n"
    elif style == "crlf":
        text = "\r\n".join(lines) + "\r\n"
    elif style == "blank":
        text = "\n\n".join(lines) + "\n\n \n"
    else:
        text = "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if style == "bytes":
        data = draw(mutate_bytes(data))
    return data
