"""The reaction to a dossier event: render the citizen's message(s) and queue them.

For each rule of the event type and each channel the rule and the citizen's preference
select, one message is queued under an id derived from (event id, channel). Handling the same
event again queues nothing (the insert is refused) and only re-announces a status whose event
may not have reached the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import structlog
from jinja2 import TemplateError

from lienthong.bus import PermanentError
from lienthong.clock import Clock
from lienthong.events import Event, derived_id
from lienthong.store import Document
from lienthong_notify.announce import Announcer
from lienthong_notify.contacts import Contact, ContactBook
from lienthong_notify.outbox import Outbox
from lienthong_notify.quiet import QuietHours
from lienthong_notify.rendering import TemplateBook
from lienthong_notify.rules import ChannelName, Rule, RuleBook
from lienthong_notify.sms import fit_sms

log = structlog.get_logger("lienthong.notify")


@dataclass(frozen=True)
class SmsPolicy:
    max_segments: int
    always_unaccented: bool


def notification_id(event_id: str, channel: str) -> str:
    """The message's id, its dedup key and its provider reference: stable across restarts."""
    return derived_id(event_id, f"notify:{channel}")


class Notifier:
    def __init__(
        self,
        *,
        rules: RuleBook,
        templates: TemplateBook,
        contacts: ContactBook,
        outbox: Outbox,
        announcer: Announcer,
        quiet: QuietHours,
        sms: SmsPolicy,
        tracking_base_url: str,
        survey_base_url: str,
        stale_after: timedelta,
        clock: Clock,
        submit: Callable[[Document], None],
    ) -> None:
        self.rules, self.templates, self.contacts = rules, templates, contacts
        self.outbox, self.announcer, self.quiet, self.sms = outbox, announcer, quiet, sms
        self.tracking_base_url = tracking_base_url.rstrip("/")
        self.survey_base_url = survey_base_url.rstrip("/")
        self.clock, self.submit, self.stale_after = clock, submit, stale_after

    async def notify_citizen(self, event: Event) -> None:
        """Handler for every event type a rule names."""
        if self.clock() - event.time > self.stale_after:
            # A new deployment reading the topic from the start, or a very long outage: news
            # this old would confuse more than inform.
            log.info("notification_skipped_stale", dossier_id=event.subject, event_type=event.type)
            return
        contact = await self.contacts.get(event.subject)
        if contact is None or not contact.addresses:
            log.info(
                "notification_without_contact", dossier_id=event.subject, event_type=event.type
            )
            return
        for rule in self.rules.for_event(event.type):
            available = set(contact.addresses)
            for channel in rule.channels_for(contact.preferred, available):
                await self._queue(event, rule, channel, contact)

    async def hold_back(self, event: Event) -> None:
        """Handler of a preference change: an opt-out also stops what is still queued (SMS
        held for the morning, retries)."""
        if event.data.get("opted_out"):
            count = await self.outbox.suppress_queued(event.subject, self.clock())
            log.info("notifications_held_back", dossier_id=event.subject, messages=count)

    async def _queue(
        self, event: Event, rule: Rule, channel: ChannelName, contact: Contact
    ) -> None:
        nid = notification_id(event.id, channel)
        message = self._message(event, rule, channel, contact, nid)
        if not await self.outbox.add(message):
            # Handled before: announce again only what may not have reached the bus (the
            # event id is derived, so a repeat is dropped downstream). A message is not sent
            # before its queued event is on the bus (`Outbox.due`), so none moved on unseen.
            existing = await self.outbox.get(nid)
            if existing is not None and existing["status"] in ("queued", "suppressed"):
                await self.announcer.publish(existing, mark=bool(existing.get("unannounced")))
            return
        log.info("notification_queued", notification_id=nid, channel=channel)
        await self.announcer.publish(message)  # marked announced: from now on it may be sent
        if message["status"] == "queued" and message["due_at"] <= self.clock():
            self.submit(message)

    def _message(
        self, event: Event, rule: Rule, channel: ChannelName, contact: Contact, nid: str
    ) -> Document:
        now = self.clock()
        code = contact.code or event.data.get("code")
        base: Document = {
            "_id": nid,
            "dossier_id": event.subject,
            "code": code,
            "channel": channel,
            "trigger": event.type,
            "trigger_id": event.id,
            "template": rule.template,
            "reference": nid,
            "attempts": 0,
            "created_at": now,
            "changed_at": now,
            "unannounced": True,
        }
        if contact.opted_out:
            return {**base, "status": "suppressed", "due_at": now}
        held_until = self.quiet.release_time(now) if channel == "sms" else None
        body = self._render(event, rule, channel, contact, code)
        return {
            **base,
            **body,
            "status": "queued",
            "recipient": contact.addresses[channel],
            "due_at": held_until or now,
            "held_until": held_until,
        }

    def _render(
        self, event: Event, rule: Rule, channel: ChannelName, contact: Contact, code: str | None
    ) -> dict[str, Any]:
        variables = {
            "data": event.data,
            "code": code,
            "name": contact.full_name,
            "tracking_url": f"{self.tracking_base_url}/{quote(code, safe='')}" if code else None,
            "survey_base_url": self.survey_base_url,
        }
        try:
            rendered = self.templates.render(rule.template_ref, variables)
        except (TemplateError, ValueError, KeyError, TypeError) as exc:
            # A template that cannot render this event will not render it on a retry either:
            # dead-letter it (an operator fixes the template and replays).
            raise PermanentError(f"template {rule.template}: {type(exc).__name__}") from exc
        if channel == "email":
            return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
        sms = fit_sms(
            rendered.sms, self.sms.max_segments, always_unaccented=self.sms.always_unaccented
        )
        return {
            "text": sms.text,
            "segments": sms.segments,
            "encoding": sms.encoding,
            "unaccented": sms.unaccented,
        }
