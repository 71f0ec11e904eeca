"""The connector port: deliver one task to an agency's system.

A connector is a small class with one method, `send`. `BaseConnector.deliver` wraps it and
does, once for every connector (the GOV.UK Notify provider pattern): timing, metrics,
structured logging without personal data, and classification of transport failures into
retryable or permanent. Retry decisions are taken by the courier from that classification.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import httpx
import structlog
from prometheus_client import Counter, Histogram

from lienthong_agency_adapter.config import AgencyConfig

log = structlog.get_logger("lienthong.agency_adapter.connector")

CONNECTOR_CALLS = Counter(
    "lienthong_agency_connector_calls_total",
    "Delivery calls to agencies' systems",
    ["agency", "connector", "outcome"],
)
CONNECTOR_SECONDS = Histogram(
    "lienthong_agency_connector_seconds", "Duration of one delivery call", ["agency", "connector"]
)


class DeliveryError(Exception):
    """A delivery that did not succeed; `retryable` decides retry vs terminal failure."""

    retryable: ClassVar[bool] = False


class RetryableDeliveryError(DeliveryError):
    """Timeouts, refused connections, 5xx, 429: the agency may answer later."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """The agency refused the request as such (4xx): no retry will change that."""


class MalformedAnswer(PermanentDeliveryError):
    """The agency answered something we cannot read."""


@dataclass(frozen=True)
class Delivery:
    """What a connector sends: the task, its idempotency key and where to answer."""

    task_id: str
    dossier_id: str
    dossier_code: str
    procedure: str
    step: str
    unit: str
    due_at: str
    idempotency_key: str
    callback_url: str

    def fields(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class AgencyAnswer:
    """An agency's answer to a task: a result (approved/refused) or a supplement request."""

    kind: Literal["result", "supplement"]
    outcome: Literal["approved", "refused"] | None = None
    result_documents: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    delivery: Literal["electronic", "counter", "post"] = "electronic"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "outcome": self.outcome,
            "result_documents": list(self.result_documents),
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "delivery": self.delivery,
        }


@dataclass(frozen=True)
class Receipt:
    """What a successful send gives back.

    `awaiting_pickup`: nothing was sent; the task waits in the inbox for the agency to fetch
    and acknowledge it (pull and manual connectors). `answer`: the agency answered at once.
    """

    reference: str | None = None
    answer: AgencyAnswer | None = None
    awaiting_pickup: bool = False
    details: dict[str, str] = field(default_factory=dict)


class Connector(Protocol):
    kind: ClassVar[str]

    async def deliver(self, delivery: Delivery) -> Receipt: ...


@dataclass(frozen=True)
class ConnectorContext:
    """What connectors share: one HTTP client (connection pooling) and our public URL."""

    http: httpx.AsyncClient
    public_url: str


class BaseConnector(ABC):
    """Timing, metrics, logging and error classification, done once."""

    kind: ClassVar[str]

    def __init__(self, agency: AgencyConfig, context: ConnectorContext) -> None:
        self.agency = agency
        self.context = context

    async def deliver(self, delivery: Delivery) -> Receipt:
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await self.send(delivery)
        except DeliveryError as exc:
            outcome = "retryable" if exc.retryable else "permanent"
            raise
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            outcome = "retryable"
            raise RetryableDeliveryError(f"{type(exc).__name__} calling the agency") from exc
        finally:
            elapsed = time.perf_counter() - started
            labels = {"agency": self.agency.code, "connector": self.kind}
            CONNECTOR_CALLS.labels(outcome=outcome, **labels).inc()
            CONNECTOR_SECONDS.labels(**labels).observe(elapsed)
            log.info(
                "agency_call",
                task_id=delivery.task_id,
                outcome=outcome,
                ms=round(elapsed * 1000, 1),
                **labels,
            )

    @abstractmethod
    async def send(self, delivery: Delivery) -> Receipt:
        """Deliver one task; raise a DeliveryError subclass when it does not work."""

    # --- helpers for HTTP connectors ---------------------------------------------------

    def headers(self, delivery: Delivery) -> dict[str, str]:
        headers = {"Idempotency-Key": delivery.idempotency_key}
        token = self.agency.token()
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        return headers

    def endpoint(self) -> str:
        if not self.agency.endpoint:
            raise PermanentDeliveryError(f"agency {self.agency.code} has no endpoint configured")
        return self.agency.endpoint


def raise_for_status(response: httpx.Response) -> None:
    """Classify an HTTP answer: 408/425/429/5xx retryable, other 4xx permanent."""
    status = response.status_code
    if status < 400:
        return
    if status in (408, 425, 429) or status >= 500:
        raise RetryableDeliveryError(f"agency answered HTTP {status}")
    raise PermanentDeliveryError(f"agency refused the task: HTTP {status}")
