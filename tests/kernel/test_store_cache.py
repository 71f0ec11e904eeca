"""The consumer's read-through cache: reads what this process wrote, never what it only read."""

from __future__ import annotations

import pytest

from lienthong.store import DuplicateKey, InMemoryCollection, InMemoryStore
from lienthong.store.cache import CachedCollection


def cached_and_raw() -> tuple[CachedCollection, InMemoryCollection]:
    store = InMemoryStore()
    raw = store.collection("views")
    return CachedCollection(raw), raw


async def test_what_was_written_here_is_read_back_without_the_store() -> None:
    cache, raw = cached_and_raw()
    await cache.replace({"_id": "d1", "status": "received", "timeline": [1]})
    await raw.replace({"_id": "d1", "status": "changed behind our back"})
    assert await cache.get("d1") == {"_id": "d1", "status": "received", "timeline": [1]}
    got = await cache.get("d1")
    assert got is not None
    got["timeline"].append(2)  # a copy: the cached document is unchanged
    assert (await cache.get("d1") or {})["timeline"] == [1]
    cache.forget_all()  # a rebalance: another member may write d1 now
    assert await cache.get("d1") == {"_id": "d1", "status": "changed behind our back"}


async def test_a_document_only_read_is_not_kept() -> None:
    cache, raw = cached_and_raw()
    await raw.insert({"_id": "d2", "n": 1})
    assert await cache.get("d2") == {"_id": "d2", "n": 1}
    await raw.replace({"_id": "d2", "n": 2})
    assert await cache.get("d2") == {"_id": "d2", "n": 2}


async def test_updates_deletes_and_guarded_writes_keep_the_cache_true() -> None:
    cache, _ = cached_and_raw()
    await cache.insert({"_id": "d3", "n": 1, "unit": {"code": "A"}})
    await cache.update("d3", {"unit.code": "B"})
    assert await cache.get("d3") == {"_id": "d3", "n": 1, "unit": {"code": "B"}}
    assert await cache.put_if_newer({"_id": "d3", "n": 5}, 3) is True
    assert await cache.put_if_newer({"_id": "d3", "n": 4}, 2) is False
    assert await cache.get("d3") == {"_id": "d3", "n": 5, "_version": 3}
    await cache.delete("d3")
    assert await cache.get("d3") is None


async def test_a_failed_write_is_read_from_the_store_next_time() -> None:
    cache, raw = cached_and_raw()
    await raw.ensure_index([("code", 1)], unique=True)
    await raw.insert({"_id": "other", "code": "C-1"})
    await cache.replace({"_id": "d4", "code": "C-0"})
    with pytest.raises(DuplicateKey):
        await cache.replace({"_id": "d4", "code": "C-1"})
    assert await cache.get("d4") == {"_id": "d4", "code": "C-0"}
