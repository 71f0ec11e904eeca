"""The simulated systems as the embedded default (`lienthong up`) runs them.

Each listens on a free loopback port chosen at start (`urls` says which), so two instances
on one machine never share them; the shipped `agencies.yaml` names them `{simulator:NAME}`
and the adapter points those endpoints at `urls` once they have started. Credentials match the
shipped file, so with no configuration at all a task for `civil-status`, `police-residence`,
`social-insurance` or a department is delivered over real HTTP and answered a moment later.
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

# The names `{simulator:NAME}` refers to in agencies.yaml.
CIVIL_STATUS = "civil-status"
RESIDENCE = "residence"
SOCIAL_INSURANCE = "social-insurance"
DEPARTMENTS = "departments"
SYSTEMS = (CIVIL_STATUS, RESIDENCE, SOCIAL_INSURANCE, DEPARTMENTS)
# Development credentials of the simulated systems (the same in the shipped agencies.yaml).
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
        self.urls: dict[str, str] = {}  # system name → base URL, while running
        self._stack = AsyncExitStack()

    def _apps(self) -> dict[str, Any]:
        return {
            CIVIL_STATUS: civil_status_app(self.civil_status, CIVIL_STATUS_TOKEN),
            RESIDENCE: residence_app(self.residence),
            SOCIAL_INSURANCE: social_insurance_app(self.social_insurance, SOCIAL_INSURANCE_SECRET),
            DEPARTMENTS: civil_status_app(self.departments, result_document=DEPARTMENTS_DOCUMENT),
        }

    async def start(self) -> None:
        systems = (self.civil_status, self.residence, self.social_insurance, self.departments)
        for system in systems:
            self._stack.push_async_callback(system.close)
        for name, app in self._apps().items():
            self.urls[name] = await self._stack.enter_async_context(serving(app, self.host))
            log.info("simulator_started", system=name, url=self.urls[name])

    async def stop(self) -> None:
        self.urls.clear()
        await self._stack.aclose()
