"""Lag rows computed from an offsets snapshot (pure: no bus involved)."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.bus import OffsetsSnapshot, PartitionLag

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_every_partition_of_a_committed_topic_has_a_row_sorted() -> None:
    snapshot = OffsetsSnapshot(
        ends={"b.events": {0: 10, 1: 4}, "a.events": {0: 3}, "untouched": {0: 9}},
        committed={"routing": {"b.events": {1: 4, 0: 7}}, "intake": {"a.events": {0: 1}}},
        taken_at=AT,
    )
    assert snapshot.lag_rows() == [
        PartitionLag("intake", "a.events", 0, committed=1, end=3, lag=2),
        PartitionLag("routing", "b.events", 0, committed=7, end=10, lag=3),
        PartitionLag("routing", "b.events", 1, committed=4, end=4, lag=0),
    ]


def test_a_partition_without_a_commit_counts_from_the_log_start() -> None:
    snapshot = OffsetsSnapshot(
        ends={"events": {0: 10, 1: 8, 2: 5}},
        committed={"g": {"events": {0: 10, 2: 1}}},
        taken_at=AT,
        starts={"events": {1: 6, 2: 3}},  # retention deleted the first records
    )
    rows = {row.partition: row for row in snapshot.lag_rows()}
    assert (rows[1].committed, rows[1].lag) == (6, 2)  # no commit: where the group would start
    assert (rows[2].committed, rows[2].lag) == (1, 2)  # deleted records are not lag
    assert rows[0].lag == 0


def test_lag_is_never_negative() -> None:
    snapshot = OffsetsSnapshot(ends={"e": {0: 3}}, committed={"g": {"e": {0: 5}}}, taken_at=AT)
    assert [row.lag for row in snapshot.lag_rows()] == [0]
