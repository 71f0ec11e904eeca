"""Webhook push: POST the task, signed with HMAC-SHA256; the agency answers later through
our callback API (`POST /v1/agencies/{agency}/tasks/{task}/result`), signed the same way.

    connector: webhook
    endpoint: https://bhxh.example/hooks/lienthong
    hmac_secrets: [$BHXH_WEBHOOK_SECRET]
"""

from __future__ import annotations

import json

from lienthong_agency_adapter.connectors.base import (
    BaseConnector,
    Delivery,
    PermanentDeliveryError,
    Receipt,
    raise_for_status,
)
from lienthong_agency_adapter.signing import SIGNATURE_HEADER, sign


class WebhookConnector(BaseConnector):
    kind = "webhook"

    async def send(self, delivery: Delivery) -> Receipt:
        secrets = self.agency.secrets()
        if not secrets:
            raise PermanentDeliveryError(f"agency {self.agency.code} has no webhook secret")
        body = json.dumps(
            {"type": "agency.task-assigned", "task": delivery.fields()}, sort_keys=True
        ).encode()
        headers = {
            **self.headers(delivery),
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secrets[0].get_secret_value(), body),
        }
        response = await self.context.http.post(
            self.endpoint(), content=body, headers=headers, timeout=self.agency.timeout_s
        )
        raise_for_status(response)
        return Receipt()
