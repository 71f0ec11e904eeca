"""One running world for the adapter's integration tests (real Kafka and FerretDB).

The three simulated legacy systems and the adapter itself listen on real loopback ports, so
connectors make real HTTP calls and the simulators call our callback API back over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong.bus import Subscription
from lienthong.events import Event, new_id
from lienthong.runtime.host import Host
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_agency_adapter.signing import hash_api_key
from lienthong_agency_adapter.simulators import (
    Behaviour,
    CallbackCredentials,
    SimulatedSystem,
    civil_status_app,
    residence_app,
    serving,
    social_insurance_app,
)
from tests.conftest import Infra
from tests.support import eventually, free_port

CIVIL_KEY, INBOX_KEY, OTHER_KEY = "civil-key-1", "inbox-key-1", "other-inbox-key-1"
CIVIL_TOKEN, WEBHOOK_SECRET = "civil-token", "webhook-secret-1"
OFFICER_UNIT = "26743"

FAST = {
    "BURST_INITIAL_S": "0.05",
    "BURST_MAX_S": "0.2",
    "ROUND_INITIAL_S": "0.2",
    "ROUND_MAX_S": "1",
    "BREAKER_FAILURES": "3",
    "BREAKER_OPEN_S": "1",
    "POLL_INTERVAL_S": "0.2",
    "HEALTH_INTERVAL_S": "0.5",
}


SOAP_MAPPING = {
    "namespace": "urn:cutru:v1",
    "operation": "TiepNhanHoSo",
    "request": {"MaCongViec": "{task_id}", "MaHoSo": "{dossier_code}"},
    "response": {
        "reference": "SoBienNhan",
        "outcome": "KetQua",
        "outcome_values": {"approved": "CHAP_THUAN", "refused": "TU_CHOI"},
        "documents": "GiayTo",
        "answer_required": True,
    },
}
REST_MAPPING = {
    "request": {
        "ma_cong_viec": "{task_id}",
        "ho_so": "{dossier_code}",
        "callback": "{callback_url}",
    },
    "response": {"reference": "ma_tiep_nhan"},
}


def agencies(civil: str, residence: str, social: str) -> dict[str, Any]:
    """The agencies file of the tests: one agency per connector type, and a second inbox."""
    rest = {
        "code": "civil-status",
        "connector": "rest",
        "endpoint": f"{civil}/api/records",
        "outbound_token": CIVIL_TOKEN,
        "api_key_sha256": [hash_api_key(CIVIL_KEY)],
        "mapping": REST_MAPPING,
    }
    soap = {
        "code": "residence",
        "connector": "soap",
        "endpoint": f"{residence}/ws",
        "mapping": SOAP_MAPPING,
    }
    webhook = {
        "code": "social-insurance",
        "connector": "webhook",
        "endpoint": f"{social}/hooks/tasks",
        "hmac_secrets": [WEBHOOK_SECRET],
    }
    inboxes = [
        {"code": code, "connector": "inbox", "api_key_sha256": [hash_api_key(key)]}
        for code, key in (("ward-inbox", INBOX_KEY), ("other-inbox", OTHER_KEY))
    ]
    manual = {"code": "ward-manual", "connector": "manual", "officer_units": [OFFICER_UNIT]}
    return {"agencies": [rest, soap, webhook, *inboxes, manual]}


@dataclass
class World:
    host: Host
    url: str
    civil: SimulatedSystem
    residence: SimulatedSystem
    social: SimulatedSystem
    seen: list[Event] = field(default_factory=list)

    async def assign(self, agency: str) -> TaskAssigned:
        task_id = f"task-{new_id()[:8]}"
        task = TaskAssigned(
            task_id=task_id,
            dossier_id=f"dossier-{task_id}",
            dossier_code=f"HS-{task_id}",
            procedure="1.001193",
            step="verify",
            unit=OFFICER_UNIT,
            due_at=datetime.now(UTC) + timedelta(days=3),
            idempotency_key=f"idem-{task_id}",
            agency=agency,
        )
        await self.host.bus.publish(agency_tasks(agency), task.to_event(task_id, source="/tests"))
        return task

    def facts(self, event_type: str, task_id: str) -> list[Event]:
        return [e for e in self.seen if e.type == event_type and e.data["task_id"] == task_id]

    async def fact(self, event_type: str, task_id: str, timeout: float = 30) -> Event:
        await eventually(lambda: bool(self.facts(event_type, task_id)), timeout, event_type)
        return self.facts(event_type, task_id)[0]


@pytest.fixture(scope="package")
async def world(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    prefix = f"t{new_id()[:10].replace('-', '')}"
    civil = SimulatedSystem(Behaviour(answer_delay_s=0.2), CallbackCredentials(api_key=CIVIL_KEY))
    residence = SimulatedSystem(Behaviour())
    social = SimulatedSystem(
        Behaviour(answer_delay_s=0.2), CallbackCredentials(hmac_secret=WEBHOOK_SECRET)
    )
    async with AsyncExitStack() as stack:
        civil_url = await stack.enter_async_context(serving(civil_status_app(civil, CIVIL_TOKEN)))
        residence_url = await stack.enter_async_context(serving(residence_app(residence)))
        social_url = await stack.enter_async_context(
            serving(social_insurance_app(social, WEBHOOK_SECRET))
        )
        path = Path(tmp_path_factory.mktemp("adapter")) / "agencies.yaml"
        path.write_text(yaml.safe_dump(agencies(civil_url, residence_url, social_url)))
        port = free_port()
        settings = Settings(
            kafka_bootstrap=infra.kafka_bootstrap,
            mongo_url=infra.mongo_url,
            topic_prefix=f"{prefix}.",
            database_prefix=prefix,
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LIENTHONG_ADAPTER_AGENCIES_FILE", str(path))
            patch.setenv("LIENTHONG_ADAPTER_PUBLIC_URL", f"http://127.0.0.1:{port}")
            for name, value in FAST.items():
                patch.setenv(f"LIENTHONG_ADAPTER_{name}", value)
            host = Host(settings, ["agency-adapter"])
        world = World(host, f"http://127.0.0.1:{port}", civil, residence, social)

        async def observe(event: Event) -> None:
            world.seen.append(event)

        host.bus.subscribe(Subscription("observer", [DOSSIER_EVENTS], observe))
        url = await stack.enter_async_context(serving(host.app(), port=port))
        assert url == world.url
        stack.push_async_callback(civil.close)
        stack.push_async_callback(social.close)
        await asyncio.sleep(0)
        yield world
