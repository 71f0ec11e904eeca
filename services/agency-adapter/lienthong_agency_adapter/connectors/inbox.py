"""Inbox pull and manual: nothing is sent; the task waits in the agency's inbox.

Agencies behind firewalls fetch it (`GET /v1/agencies/{agency}/tasks`), acknowledge it and
answer through the same API; units with no system have an officer do the same in the web
inbox (staff tokens of the agency's `officer_units`).
"""

from __future__ import annotations

from lienthong_agency_adapter.connectors.base import BaseConnector, Delivery, Receipt


class InboxConnector(BaseConnector):
    kind = "inbox"

    async def send(self, delivery: Delivery) -> Receipt:
        return Receipt(awaiting_pickup=True)


class ManualConnector(InboxConnector):
    kind = "manual"
