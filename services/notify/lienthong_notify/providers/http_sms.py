"""SMS through an HTTP gateway (brandname SMS).

The wire contract we expect of a gateway (adapters for a carrier's own API implement the
same `_send`):

    POST <url>   Authorization: Bearer <token>
    {"to": "<phone>", "text": "…", "encoding": "gsm7"|"ucs2", "client_ref": "<reference>"}
    2xx {"id": "<gateway message id>"}

`client_ref` is derived from (event id, channel), so a gateway that deduplicates on it drops
a repeat sent after a crash. Delivery receipts come back to
`POST /v1/notifications/receipts/<provider name>` (see `lienthong_notify.api`).
"""

from __future__ import annotations

import httpx

from lienthong_notify.providers.base import DeliveryFailure, Outgoing, Provider, RateLimiter
from lienthong_notify.sms import encoding_of

# 408 timeout, 425 too early, 429 throttled: the gateway asks us to come back.
_RETRYABLE_4XX = frozenset({408, 425, 429})


class HttpSmsProvider(Provider):
    channel = "sms"

    def __init__(
        self, name: str, url: str, token: str, limiter: RateLimiter, timeout_s: float = 5.0
    ) -> None:
        super().__init__(name, limiter)
        self.url = url
        self._client = httpx.AsyncClient(
            timeout=timeout_s, headers={"authorization": f"Bearer {token}"}
        )

    async def _send(self, message: Outgoing) -> str:
        body = {
            "to": message.recipient,
            "text": message.text,
            "encoding": encoding_of(message.text),
            "client_ref": message.reference,
        }
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.TransportError as exc:  # connect errors and timeouts
            raise DeliveryFailure(f"http:{type(exc).__name__}", retryable=True) from exc
        status = response.status_code
        if status >= 300:
            retryable = status >= 500 or status in _RETRYABLE_4XX
            raise DeliveryFailure(f"http:{status}", retryable=retryable)
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            return message.reference  # accepted, but the gateway gave no id of its own

    async def close(self) -> None:
        await self._client.aclose()
