"""How a tracking view reads at a given moment (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong_intake.tracking import tracking_answer

APPOINTMENT = "2026-03-12T10:00:00+00:00"
VIEW = {
    "code": "000.00.00.H29-260310-0001",
    "procedure": "2.000986",
    "unit": "UBND-26506",
    "appointment_at": APPOINTMENT,
    "timeline": [],
}


def test_a_dossier_past_its_appointment_and_still_in_processing_is_overdue() -> None:
    later = datetime(2026, 3, 12, 10, 1, tzinfo=UTC)
    assert tracking_answer({**VIEW, "status": "processing"}, later).overdue is True
    earlier = datetime(2026, 3, 12, 9, 59, tzinfo=UTC)
    assert tracking_answer({**VIEW, "status": "processing"}, earlier).overdue is False


def test_a_returned_result_is_never_overdue() -> None:
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert tracking_answer({**VIEW, "status": "result_returned"}, later).overdue is False


def test_a_result_waiting_at_the_counter_is_never_overdue() -> None:
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert tracking_answer({**VIEW, "status": "processing_done"}, later).overdue is False
