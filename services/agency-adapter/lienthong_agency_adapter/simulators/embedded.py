"""The three simulated systems as the embedded default (`lienthong up`) runs them.

Ports and credentials match the shipped `agencies.yaml`, so with no configuration at all a
task for `civil-status`, `police-residence` or `social-insurance` is delivered over real HTTP
and answered a moment later. A port already in use is logged and skipped, never fatal.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import structlog

from lienthong_agency_adapter.simulators.base import (
    Behaviour,
    CallbackCredentials,
    SimulatedSystem,
)
from lienthong_agency_adapter.simulators.civil_status import civil_status_app
from lienthong_agency_adapter.simulators.residence import residence_app
from lienthong_agency_adapter.simulators.server import serving
from lienthong_agency_adapter.simulators.social_insurance import social_insurance_app

log = structlog.get_logger("lienthong.agency_adapter.simulator")

# Development credentials of the simulated systems (the same in the shipped agencies.yaml).
CIVIL_STATUS_PORT, RESIDENCE_PORT, SOCIAL_INSURANCE_PORT, DEPARTMENTS_PORT = 8101, 8102, 8103, 8104
CIVIL_STATUS_TOKEN = "dev-civil-status-token"  # noqa: S105 - simulator, development only
CIVIL_STATUS_KEY = "dev-civil-status-key"
SOCIAL_INSURANCE_SECRET = "dev-social-insurance-secret"  # noqa: S105 - simulator only
# One simulated system stands in for the departments with no simulator of their own (tax,
# construction, economy, labour and social affairs, one-stop); they share its key.
DEPARTMENTS_KEY = "dev-department-key"
DEPARTMENTS_DOCUMENT = "Văn bản kết quả giải quyết"


class EmbeddedSimulators:
    def __init__(self, answer_delay_s: float = 2.0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.civil_status = SimulatedSystem(
            Behaviour(latency_s=0.05, answer_delay_s=answer_delay_s),
            CallbackCredentials(api_key=CIVIL_STATUS_KEY),
        )
        self.residence = SimulatedSystem(Behaviour(latency_s=0.05))
        self.social_insurance = SimulatedSystem(
            Behaviour(latency_s=0.05, answer_delay_s=answer_delay_s),
            CallbackCredentials(hmac_secret=SOCIAL_INSURANCE_SECRET),
        )
        self.departments = SimulatedSystem(
            Behaviour(latency_s=0.05, answer_delay_s=answer_delay_s),
            CallbackCredentials(api_key=DEPARTMENTS_KEY),
        )
        self._stack = AsyncExitStack()

    def _apps(self) -> list[tuple[str, Any, int]]:
        return [
            (
                "civil-status",
                civil_status_app(self.civil_status, CIVIL_STATUS_TOKEN),
                CIVIL_STATUS_PORT,
            ),
            ("residence", residence_app(self.residence), RESIDENCE_PORT),
            (
                "social-insurance",
                social_insurance_app(self.social_insurance, SOCIAL_INSURANCE_SECRET),
                SOCIAL_INSURANCE_PORT,
            ),
            (
                "departments",
                civil_status_app(self.departments, result_document=DEPARTMENTS_DOCUMENT),
                DEPARTMENTS_PORT,
            ),
        ]

    async def start(self) -> None:
        for name, app, port in self._apps():
            try:
                url = await self._stack.enter_async_context(serving(app, self.host, port))
            except OSError as exc:
                log.warning("simulator_not_started", system=name, port=port, error=str(exc))
                continue
            log.info("simulator_started", system=name, url=url)
        for system in (self.civil_status, self.social_insurance, self.departments):
            self._stack.push_async_callback(system.close)

    async def stop(self) -> None:
        await self._stack.aclose()
