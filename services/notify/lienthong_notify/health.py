"""Notify's health snapshot (`ops.notify-health` on `ops.health`): per channel and provider,
in the channel's failover order, what was sent, what failed and what failed over.

The counts are the channels' own (`FailoverChannel.send` counts every provider's answer), so
they are this instance's sends since it started; a provider that sent nothing is listed with
zeros, so a console sees every configured provider. A failover is a send moved from a
provider that failed to the channel's next provider; a channel with one provider (the SMTP
relay, the console) never fails over, and its failures are retried later or end the message.
"""

from __future__ import annotations

from collections.abc import Mapping

from lienthong.runtime.health import Snapshot
from lienthong.schemas.health import ChannelHealth, NotifyHealthReported
from lienthong_notify.providers import FailoverChannel


def provider_health(
    channels: Mapping[str, FailoverChannel], snapshot: Snapshot
) -> NotifyHealthReported:
    rows = []
    for _, channel in sorted(channels.items()):
        for provider in channel.providers:
            key = (provider.channel, provider.name)  # as the channel counts
            rows.append(
                ChannelHealth(
                    channel=provider.channel,
                    provider=provider.name,
                    sent=snapshot.window(key, "sent"),
                    failed=snapshot.window(key, "failed"),
                    failovers=snapshot.window(key, "failovers"),
                    sent_total=snapshot.total(key, "sent"),
                    failed_total=snapshot.total(key, "failed"),
                    failovers_total=snapshot.total(key, "failovers"),
                )
            )
    return NotifyHealthReported(**snapshot.header(), channels=rows)
