"""The purge reads one creation day at a time and its mark moves only past finished days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.store import InMemoryStore
from lienthong_notify.outbox import NOTIFICATIONS, SEND_CLAIMS, Outbox
from lienthong_notify.purge_days import PURGE_MARKS

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def message(n: int, created_at: datetime, status: str = "sent") -> dict[str, Any]:
    return {
        "_id": f"n-{n}",
        "dossier_id": f"d-{n}",
        "code": f"C-{n}",
        "channel": "sms",
        "recipient": "0901234567",
        "subject": None,
        "text": "Hồ sơ đã được tiếp nhận.",
        "html": None,
        "status": status,
        "attempts": 0,
        "created_at": created_at,
        "due_at": created_at,
    }


async def test_days_are_read_by_equality_and_the_mark_waits_for_unfinished_messages() -> None:
    store = InMemoryStore()
    marks = store.collection(PURGE_MARKS)
    box = Outbox(store.collection(NOTIFICATIONS), store.collection(SEND_CLAIMS), marks)
    await box.prepare()
    await box.add(message(1, DAY))
    await box.add(message(2, DAY + timedelta(days=1), status="queued"))  # still being retried
    await box.add(message(3, DAY + timedelta(days=2)))
    await box.add(message(4, DAY + timedelta(days=40)))
    assert await box.days.days_to_read(DAY) == ["2026-03-02"]

    cutoff = DAY + timedelta(days=10)
    assert await box.purge(cutoff, cutoff) == 2  # n-1 and n-3; n-2 is not finished
    assert (await store.collection(PURGE_MARKS).get(NOTIFICATIONS) or {})["day"] == "2026-03-03"
    assert (await box.get("n-4") or {})["recipient"] == "0901234567", "not old enough"

    await store.collection(NOTIFICATIONS).update("n-2", {"status": "failed"})
    assert await box.purge(cutoff, cutoff) == 1
    # every day up to the cutoff's day is finished but the cutoff's own day stays open
    assert await box.days.days_to_read(cutoff) == ["2026-03-12"]
    texts = [(await box.get(f"n-{n}") or {}).get("text") for n in (1, 2, 3, 4)]
    assert texts == [None, None, None, "Hồ sơ đã được tiếp nhận."]


async def test_a_message_of_an_earlier_day_written_later_moves_the_mark_back() -> None:
    """Replicas with a little clock skew around midnight: the mark stays at the earliest."""
    store = InMemoryStore()
    marks = store.collection(PURGE_MARKS)
    late = Outbox(store.collection(NOTIFICATIONS), store.collection(SEND_CLAIMS), marks)
    early = Outbox(store.collection(NOTIFICATIONS), store.collection(SEND_CLAIMS), marks)
    await late.add(message(1, DAY + timedelta(days=1)))
    await early.add(message(2, DAY))
    assert (await marks.get(NOTIFICATIONS) or {})["day"] == "2026-03-02"
