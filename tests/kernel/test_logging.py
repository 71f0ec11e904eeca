"""Logs are JSON, carry the trace, and never personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from lienthong.logging import configure_logging, scrub
from lienthong.telemetry import configure_tracing, trace_ids, tracer


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("citizen 079203001234 submitted", "079203001234"),
        ("call 0912345678 now", "0912345678"),
        ("call +84 912 345 678", "912 345 678"),
        ("mail nguyen.van.a@example.vn", "nguyen.van.a@example.vn"),
        ("phone 091.234.5678", "091.234.5678"),
    ],
)
def test_scrub_removes_personal_data_from_text(text: str, leak: str) -> None:
    assert leak not in scrub(text)


def test_scrub_leaves_dossier_codes_and_dates_alone() -> None:
    text = "dossier 000.00.01.H29-260310-0420 due 2026-03-12T17:00:00+07:00 ward 26743"
    assert scrub(text) == text


@pytest.fixture
def json_logging(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    configure_logging("tests")
    yield
    # configure_logging bound the logger to this test's captured stderr: undo it, or later
    # tests would write to a closed stream.
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.mark.usefixtures("json_logging")
def test_log_lines_are_json_masked_and_traced(capsys: pytest.CaptureFixture[str]) -> None:
    configure_tracing("tests")
    log = structlog.get_logger("t")
    with tracer().start_as_current_span("request"):
        ids = trace_ids()
        log.info(
            "dossier_received",
            dossier_id="d-1",
            phone="0912345678",
            applicant={"full_name": "Nguyễn Văn A", "ward_code": "26743"},
            note="applicant id 079203001234, email a@b.vn",
        )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert ids is not None
    assert line["event"] == "dossier_received"
    assert line["trace_id"] == ids[0]
    assert line["dossier_id"] == "d-1"
    assert line["phone"] == "***"
    assert line["applicant"] == {"full_name": "***", "ward_code": "26743"}
    raw = json.dumps(line, ensure_ascii=False)
    for secret in ("0912345678", "Nguyễn Văn A", "079203001234", "a@b.vn"):
        assert secret not in raw
