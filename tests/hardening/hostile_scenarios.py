"""The three schema-valid scenarios of issue 12 that asked the engine for far more work than
their size suggests, built from the bundled knightmare so they follow its changes:

- alerts:    47 `order_size` alert rules with a tiny threshold, and fill_probability 0.001 (every
             parent lives to the end and trips every rule, every tick);
- overfill:  an `overfill` flow with factor 100 (each parent fills a hundred times its size);
- streams:   48 streams of 5,000 emails (every console snapshot copies a quarter-million messages).

Each must cost at most 10x knightmare's historical morning, or be refused by `validate` naming
the field that asks for the work (test_work_bounds.py)."""

from __future__ import annotations

import copy

from tests.hardening import support

BASE = "knightmare"


def _base() -> dict:
    return copy.deepcopy(support.toml_data(BASE))


def alerts() -> dict:
    d = _base()
    d["market"]["fill_probability"] = 0.001
    d["alerts"] = [{"kind": "order_size", "threshold": 1e-9, "label": f"size {i}"} for i in range(47)]
    return d


def overfill() -> dict:
    d = _base()
    d["behaviours"]["overfill_factor"] = 100
    for rel in d["releases"]:  # every release overfills the flagged flow: every server, all day
        for path in rel.get("flags", {}).values():
            path["behaviour"] = "overfill"
    rlp = next(f for f in d["flows"] if f.get("flag"))
    rlp.update(rate_per_min=1000, qty_lots=[50, 100])
    return d


def streams() -> dict:
    d = _base()
    d["timeline"]["streams"] = [
        {"kind": "email", "id": f"flood-{i}", "count": 5000, "start": d["clock"]["world_start"], "end": d["clock"]["end"],
         "sender": "flood", "subjects": [f"message {i}"], "body": "x"} for i in range(48)]
    return d


HOSTILE = {"alerts": alerts, "overfill": overfill, "streams": streams}
