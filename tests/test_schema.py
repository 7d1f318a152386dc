"""The schema is the single source of truth: complete, self-consistent, and copied faithfully."""
import json
from pathlib import Path

import pytest

from traderadmin.config import check_text, load_schema, render_defaults

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = load_schema(ROOT / "config" / "schema.json")

# The plan's keys and defaults (seed plan §1.2) must appear exactly.
PLAN_DEFAULTS = {
    "ibkr.host": "localhost", "ibkr.port": 7497, "ibkr.client_id": 0, "ibkr.read_only": False,
    "trading.mode": "PAPER", "trading.max_positions": 5, "trading.risk_per_trade_pct": 1.0,
    "strategies.high_base.min_rsi": 50.0, "strategies.high_base.max_atr_ratio": 1.2,
}


@pytest.mark.parametrize("key,value", PLAN_DEFAULTS.items())
def test_plan_defaults(key, value):
    field = SCHEMA.field(key)
    assert field is not None, key
    assert field.default == value and type(field.default) is type(value)


def test_required_sections():
    for section in ("ibkr", "trading", "strategies", "scanner", "options", "cache", "schedule", "alerts", "logging"):
        assert section in SCHEMA.sections()
    assert SCHEMA.is_table("strategies.high_base")


@pytest.mark.parametrize("key", sorted(SCHEMA.fields))
def test_every_field_is_described(key):
    f = SCHEMA.fields[key]
    assert f.description, f"{key} needs a description"
    assert "default" in f.spec, f"{key} needs a default"
    if f.type in ("integer", "number"):
        assert "minimum" in f.spec and "maximum" in f.spec, f"{key} needs a range"


def test_every_table_is_closed_and_complete():
    def walk(spec, path):
        if spec.get("type") == "object":
            assert spec.get("additionalProperties") is False, f"{path or 'root'} must reject unknown keys"
            assert set(spec.get("required", [])) == set(spec["properties"]), f"{path or 'root'}: every key required"
            for name, sub in spec["properties"].items():
                walk(sub, f"{path}.{name}" if path else name)
    walk(SCHEMA.document, "")


def test_defaults_render_to_a_valid_commented_config():
    text = render_defaults(SCHEMA)
    assert text.startswith("#:schema ./schema.json\n")
    doc = check_text(text, SCHEMA)
    assert doc.unwrap() == SCHEMA.defaults()
    for field in SCHEMA.fields.values():
        assert field.description.split(".")[0][:40] in " ".join(text.split()), field.key


@pytest.mark.parametrize("copy", [
    "services/orchestrator/orchestrator/schema.json",
    "services/scanner/schema.json",
])
def test_service_copies_match_the_schema(copy):
    path = ROOT / copy
    assert path.exists(), f"{copy} is missing: copy config/schema.json there"
    assert json.loads(path.read_text()) == SCHEMA.document, (
        f"{copy} differs from config/schema.json: copy it again (cp config/schema.json {copy})")


def test_order_rules_name_real_keys_of_one_comparable_type():
    rules = SCHEMA.document["x-order"]
    assert rules, "the schema carries its cross-key rules"
    for rule in rules:
        low, high = SCHEMA.field(rule["lower"]), SCHEMA.field(rule["upper"])
        assert low and high, rule
        assert {low.type, high.type} <= {"integer", "number"} or low.type == high.type == "string", rule
        assert rule["x-error"] and isinstance(rule["strict"], bool)
        assert low.default < high.default or (not rule["strict"] and low.default == high.default), \
            f"the defaults break {rule}"
