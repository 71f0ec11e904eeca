"""Email over SMTP (aiosmtplib): a text part and an HTML part, UTF-8, a deterministic
Message-ID so a repeated send (after a crash mid-send) is recognisably the same message."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from lienthong_notify.providers.base import DeliveryFailure, Outgoing, Provider, RateLimiter


def message_id(reference: str, domain: str) -> str:
    return f"<{reference}@{domain}>"


def build_email(message: Outgoing, sender: str, domain: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(message.reference, domain)
    email["Date"] = formatdate(usegmt=True)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    email.set_content(message.text, charset="utf-8")
    email.add_alternative(message.html, subtype="html", charset="utf-8")
    return email


class SmtpProvider(Provider):
    channel = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        domain: str,
        limiter: RateLimiter,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__("smtp", limiter)
        self.host, self.port, self.sender, self.domain = host, port, sender, domain
        self.username, self.password = username, password
        self.starttls, self.timeout_s = starttls, timeout_s

    async def _send(self, message: Outgoing) -> str:
        email = build_email(message, self.sender, self.domain)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise DeliveryFailure(
                f"recipient-refused:{codes}", retryable=all(400 <= c < 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailure(f"reply:{exc.code}", retryable=400 <= exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # connect, timeout, disconnect
            raise DeliveryFailure(type(exc).__name__, retryable=True) from exc
        return str(email["Message-ID"])
