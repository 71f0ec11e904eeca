"""Adapter health as the console folds the `ops.health` snapshots of each replica."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lienthong.topics import OPS_HEALTH
from tests.services.console.dossiers import agency_health
from tests.services.console.served import RunningConsole


async def test_an_older_snapshot_arriving_late_does_not_replace_a_newer_one(
    embedded: RunningConsole,
) -> None:
    it, now = embedded, datetime.now(UTC)
    await it.publish(agency_health("a1", now, attempts=10, failures=1), topic=OPS_HEALTH)
    await it.publish(
        agency_health("a1", now - timedelta(seconds=30), attempts=99, circuit="open"),
        topic=OPS_HEALTH,
    )
    await it.settled()
    report = await it.get_json("/v1/console/health")
    (agency,) = report["agencies"]
    assert (agency["attempts"], agency["failures"], agency["circuit"]) == (10, 1, "closed")
    assert agency["error_rate"] == 0.1
    (replica,) = report["replicas"]
    assert replica["replica"] == "agency-adapter/a1"
    assert datetime.fromisoformat(replica["at"]) == now
    assert replica["stale"] is False

    await it.publish(agency_health("a1", now + timedelta(seconds=15), attempts=4), topic=OPS_HEALTH)
    await it.settled()
    (agency,) = (await it.get_json("/v1/console/health"))["agencies"]
    assert agency["attempts"] == 4  # a newer one does


async def test_a_stale_replica_is_flagged_and_left_out_of_the_totals(
    embedded: RunningConsole,
) -> None:
    it, now = embedded, datetime.now(UTC)
    await it.publish(
        agency_health("a1", now, attempts=10, failures=2),
        agency_health("a2", now - timedelta(seconds=5), attempts=30, failures=3),
        # silent for ten minutes, with a snapshot due every 15 seconds: gone, or stuck
        agency_health("a3", now - timedelta(minutes=10), attempts=50, failures=50, circuit="open"),
        topic=OPS_HEALTH,
    )
    await it.settled()
    report = await it.get_json("/v1/console/health")
    assert {r["replica"]: r["stale"] for r in report["replicas"]} == {
        "agency-adapter/a1": False,
        "agency-adapter/a2": False,
        "agency-adapter/a3": True,
    }
    (agency,) = report["agencies"]
    assert (agency["attempts"], agency["failures"], agency["circuit"]) == (40, 5, "closed")
    assert agency["error_rate"] == 5 / 40
    page = await it.client.get("/console/health?lang=en", headers=it.auth("auditor"))
    assert page.status_code == 200
    assert "agency-adapter/a3" in page.text
    assert "(stale)" in page.text
    assert page.text.count("(stale)") == 1
