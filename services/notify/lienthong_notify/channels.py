"""Channels from configuration: SMTP and HTTP SMS gateways when configured, else the console
(the embedded default)."""

from __future__ import annotations

from lienthong.runtime.health import Tally
from lienthong_notify.config import NotifySettings
from lienthong_notify.providers import (
    ConsoleProvider,
    FailoverChannel,
    HttpSmsProvider,
    Provider,
    RateLimiter,
    SmtpProvider,
)


def email_providers(settings: NotifySettings) -> list[Provider]:
    if not settings.smtp_host:
        return [ConsoleProvider("email")]
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    rate = settings.email_rate_per_s
    return [
        SmtpProvider(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            domain=settings.message_id_domain,
            limiter=RateLimiter(rate, max(1, int(rate))),
            username=settings.smtp_username,
            password=password,
            starttls=settings.smtp_starttls,
            timeout_s=settings.smtp_timeout_s,
        )
    ]


def sms_providers(settings: NotifySettings) -> list[Provider]:
    if not settings.sms_providers:
        return [ConsoleProvider("sms")]
    return [
        HttpSmsProvider(
            gateway.name,
            gateway.url,
            gateway.token.get_secret_value(),
            RateLimiter(gateway.rate_per_s, gateway.burst),
            gateway.timeout_s,
        )
        for gateway in settings.sms_providers
    ]


def build_channels(settings: NotifySettings, tally: Tally) -> dict[str, FailoverChannel]:
    """Every channel, counting its sends in `tally` (the health snapshot's)."""
    return {
        "email": FailoverChannel(email_providers(settings), tally),
        "sms": FailoverChannel(sms_providers(settings), tally),
    }


def callback_tokens(settings: NotifySettings) -> dict[str, str | None]:
    return {
        gateway.name: gateway.callback_token.get_secret_value() if gateway.callback_token else None
        for gateway in settings.sms_providers
    }


async def close_channels(channels: dict[str, FailoverChannel]) -> None:
    for channel in channels.values():
        for provider in channel.providers:
            if isinstance(provider, HttpSmsProvider):
                await provider.close()
