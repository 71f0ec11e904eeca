"""The store port's contract, proven in memory and on a real FerretDB."""

from __future__ import annotations

import asyncio

import pytest

from lienthong.store import DuplicateKey, Store


async def test_unique_index_violation_is_a_clear_error(store: Store) -> None:
    dossiers = store.collection("dossiers")
    await dossiers.ensure_index([("code", 1)], unique=True)
    await dossiers.insert({"_id": "d1", "code": "000.00.01.H29-260310-0001"})
    with pytest.raises(DuplicateKey) as raised:
        await dossiers.insert({"_id": "d2", "code": "000.00.01.H29-260310-0001"})
    assert raised.value.collection == "dossiers"
    with pytest.raises(DuplicateKey):
        await dossiers.insert({"_id": "d1", "code": "other"})
    assert await dossiers.count() == 1
    assert (await dossiers.get("d1")) == {"_id": "d1", "code": "000.00.01.H29-260310-0001"}


async def test_counters_are_atomic_under_50_concurrent_increments(store: Store) -> None:
    values = await asyncio.gather(*(store.increment("agency-1:260310") for _ in range(50)))
    assert sorted(values) == list(range(1, 51))
    more = await asyncio.gather(*(store.increment("agency-1:260310") for _ in range(50)))
    assert sorted(more) == list(range(51, 101))
    assert await store.increment("agency-2:260310") == 1, "counters are independent"


async def test_version_guarded_upserts_ignore_stale_and_repeated_writes(store: Store) -> None:
    views = store.collection("tracking")
    assert await views.put_if_newer({"_id": "d1", "status": "received"}, 2) is True
    assert await views.put_if_newer({"_id": "d1", "status": "submitted"}, 1) is False
    assert await views.put_if_newer({"_id": "d1", "status": "received"}, 2) is False
    assert (await views.get("d1") or {})["status"] == "received"
    assert await views.put_if_newer({"_id": "d1", "status": "processing"}, 5) is True
    stored = await views.get("d1")
    assert stored == {"_id": "d1", "status": "processing", "_version": 5}


async def test_a_guarded_write_that_breaks_a_unique_index_is_not_taken_for_stale(
    store: Store,
) -> None:
    views = store.collection("codes")
    await views.ensure_index([("code", 1)], unique=True)
    await views.put_if_newer({"_id": "a", "code": "X"}, 1)
    with pytest.raises(DuplicateKey):
        await views.put_if_newer({"_id": "b", "code": "X"}, 1)


async def test_queries_sort_limit_update_delete(store: Store) -> None:
    steps = store.collection("steps")
    await steps.ensure_index([("due", 1)])
    for i, (state, due) in enumerate([("open", 30), ("open", 10), ("done", 5), ("open", 20)]):
        await steps.insert(
            {"_id": f"s{i}", "state": state, "due": due, "unit": {"code": f"U{i % 2}"}}
        )
    due_open = await steps.find({"state": "open", "due": {"$lte": 20}}, sort=[("due", 1)])
    assert [d["_id"] for d in due_open] == ["s1", "s3"]
    assert [d["_id"] for d in await steps.find(sort=[("due", -1)], limit=2)] == ["s0", "s3"]
    assert [d["_id"] for d in await steps.find(sort=[("due", 1)], skip=1, limit=2)] == ["s1", "s3"]
    assert await steps.count({"state": {"$in": ["done"]}}) == 1
    assert await steps.count({"unit.code": "U1"}) == 2
    assert await steps.count({"missing": {"$exists": False}}) == 4
    assert await steps.update("s2", {"state": "open", "unit.code": "U9"}) is True
    assert await steps.update("nope", {"state": "open"}) is False
    assert (await steps.get("s2") or {})["unit"] == {"code": "U9"}
    assert await steps.update("s2", {"due": 1}, where={"state": "done"}) is False  # it is open
    assert (await steps.get("s2") or {})["due"] == 5
    assert await steps.update("s2", {"due": 1}, where={"state": "open"}) is True
    assert (await steps.get("s2") or {})["due"] == 1
    assert await steps.delete("s2") is True
    assert await steps.delete("s2") is False
    assert await steps.get("s2") is None


async def test_stored_documents_are_copies(store: Store) -> None:
    things = store.collection("things")
    items = [1]
    await things.insert({"_id": "x", "items": items})
    items.append(2)
    fetched = await things.get("x")
    assert fetched == {"_id": "x", "items": [1]}
    assert fetched is not None
    fetched["items"].append(3)
    assert (await things.get("x") or {})["items"] == [1]


async def test_counters_add_any_step(store: Store) -> None:
    assert await store.increment("fees", by=5) == 5
    assert await store.increment("fees", by=2) == 7
    assert await store.increment("fees") == 8


async def test_counters_are_read_without_changing_them(store: Store) -> None:
    assert await store.read_counters(["never"]) == {"never": 0}
    for _ in range(5):
        await store.increment("received:2026-12-01T10")
    await store.increment("completed:2026-12-01T10", by=3)
    names = ["received:2026-12-01T10", "completed:2026-12-01T10", "never"]
    expected = {"received:2026-12-01T10": 5, "completed:2026-12-01T10": 3, "never": 0}
    assert await store.read_counters(names) == expected
    assert await store.read_counters(names) == expected, "reading does not increment"
    assert await store.increment("received:2026-12-01T10") == 6


async def test_indexed_equality_queries_follow_every_write(store: Store) -> None:
    """The in-memory store answers indexed equalities from hash indexes: they must see
    inserts, updates, replaces, guarded upserts and deletes exactly as a database does."""
    steps = store.collection("indexed")
    await steps.ensure_index([("unit", 1), ("due", 1)])
    await steps.ensure_index([("code", 1)], unique=True)
    for i in range(6):
        await steps.insert({"_id": f"s{i}", "unit": f"U{i % 2}", "due": i, "code": f"C{i}"})

    async def ids(filter: dict[str, object]) -> list[str]:
        return [d["_id"] for d in await steps.find(filter)]

    assert await ids({"unit": "U0"}) == ["s0", "s2", "s4"], "insertion order, as a scan"
    assert await ids({"unit": "U0", "due": {"$gte": 2}}) == ["s2", "s4"]
    assert await ids({"unit": {"$eq": "U1"}, "code": "C3"}) == ["s3"]
    await steps.update("s2", {"unit": "U1"})
    await steps.replace({"_id": "s4", "unit": "U9", "due": 4, "code": "C4"})
    await steps.delete("s0")
    await steps.put_if_newer({"_id": "s6", "unit": "U0", "due": 6, "code": "C6"}, 1)
    assert await ids({"unit": "U0"}) == ["s6"]
    assert sorted(await ids({"unit": "U1"})) == ["s1", "s2", "s3", "s5"]
    assert await steps.count({"unit": "U9"}) == 1
    assert await ids({"unit": "nowhere"}) == []
    with pytest.raises(DuplicateKey):
        await steps.update("s1", {"code": "C3"})
    await steps.update("s3", {"code": "C0"})  # C0 was freed by the delete
    assert await ids({"code": "C0"}) == ["s3"]
    assert await ids({"code": "C3"}) == []


async def test_concurrent_guarded_writes_leave_the_newest_and_raise_nothing(store: Store) -> None:
    """Sweep marks and purge marks are written by replicas at once: whatever the order, the
    newest version stays, and a stale write is a quiet False, never an error."""
    marks = store.collection("marks")
    for round_ in range(5):
        mark = f"m{round_}"
        results = await asyncio.gather(
            *(marks.put_if_newer({"_id": mark, "at": v}, v) for v in range(1, 9))
        )
        assert True in results
        assert (await marks.get(mark) or {})["_version"] == 8, "the first writes of a new mark"
        await asyncio.gather(*(marks.put_if_newer({"_id": mark, "at": v}, v) for v in (9, 5, 3, 2)))
        stored = await marks.get(mark) or {}
        assert (stored["_version"], stored["at"]) == (9, 9), "older writes never win"
