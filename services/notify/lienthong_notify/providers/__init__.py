"""Channels and their providers (GOV.UK Notify's shape: a base class, one method each)."""

from lienthong_notify.providers.base import (
    Accepted,
    DeliveryFailure,
    FailoverChannel,
    Outgoing,
    Provider,
    RateLimiter,
)
from lienthong_notify.providers.console import ConsoleProvider
from lienthong_notify.providers.http_sms import HttpSmsProvider
from lienthong_notify.providers.smtp import SmtpProvider, build_email, message_id

__all__ = [
    "Accepted",
    "ConsoleProvider",
    "DeliveryFailure",
    "FailoverChannel",
    "HttpSmsProvider",
    "Outgoing",
    "Provider",
    "RateLimiter",
    "SmtpProvider",
    "build_email",
    "message_id",
]
