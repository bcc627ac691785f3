"""The authoring guide documents every field of the format (so the two cannot drift apart)."""

import re
from pathlib import Path

from pydantic import BaseModel

from drill.scenario import schema

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def _models():
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj not in (BaseModel, schema.Strict):
            yield obj


def test_every_schema_field_is_documented():
    prose = re.sub(r"```.*?```", "", GUIDE.read_text(), flags=re.S)
    code_spans = " ".join(re.findall(r"`([^`]+)`", prose))
    missing = [f"{m.__name__}.{name}" for m in _models() for name in m.model_fields
               if not re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", code_spans)]
    assert not missing, missing


def test_every_behaviour_is_documented():
    text = GUIDE.read_text()
    assert all(f"`{b}`" in text for b in schema.BEHAVIOURS)
