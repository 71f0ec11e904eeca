"""The console provider of the embedded default: messages go to the log and a bounded list.

The log line carries no recipient and no body (personal data never reaches logs); developers
read the rendered messages from `sent` (e.g. in a debugger or a test).
"""

from __future__ import annotations

from collections import deque

import structlog

from lienthong_notify.providers.base import Outgoing, Provider, RateLimiter
from lienthong_notify.rules import ChannelName

log = structlog.get_logger("lienthong.notify.console")


class ConsoleProvider(Provider):
    def __init__(self, channel: ChannelName, keep: int = 1000) -> None:
        super().__init__(f"console-{channel}", RateLimiter(1000.0, 1000))
        self.channel = channel
        self.sent: deque[Outgoing] = deque(maxlen=keep)

    async def _send(self, message: Outgoing) -> str:
        self.sent.append(message)
        log.info(
            "console_message",
            channel=self.channel,
            reference=message.reference,
            characters=len(message.text),
        )
        return message.reference
