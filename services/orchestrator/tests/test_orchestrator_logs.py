"""logging.format: JSON lines for machines, key=value text for people."""
import io
import json

from orchestrator.logs import ServiceLog


def test_json_is_the_default_and_parses():
    out = io.StringIO()
    ServiceLog("orchestrator", out).info("Config reloaded", config_sha256="ab12", trigger="watch")
    record = json.loads(out.getvalue())
    assert (record["msg"], record["service"], record["config_sha256"], record["level"]) == (
        "Config reloaded", "orchestrator", "ab12", "info")


def test_text_format_reads_as_a_sentence_with_fields():
    out = io.StringIO()
    log = ServiceLog("orchestrator", out)
    log.set_format("text")
    log.error("Config reload rejected", config_sha256=None, error="trading.max_positions: 0 is below 1")
    line = out.getvalue().rstrip("\n")
    assert " ERROR   orchestrator: Config reload rejected " in line
    assert 'error="trading.max_positions: 0 is below 1"' in line and "config_sha256=null" in line
    assert not line.startswith("{")


def test_switching_back_to_json():
    out = io.StringIO()
    log = ServiceLog("orchestrator", out)
    log.set_format("text")
    log.set_format("json")
    log.info("Listening", addr="0.0.0.0:8080")
    assert json.loads(out.getvalue())["addr"] == "0.0.0.0:8080"
