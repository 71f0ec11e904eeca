"""Composition root of the notify service.

Tells citizens what happened to their dossier by SMS and email, in their preferred channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from lienthong.bus import Handler
from lienthong.clock import Clock, utc_now
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.runtime.health import HealthReporter, Snapshot, Tally
from lienthong.schemas.health import NotifyHealthReported
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.announce import SOURCE, Announcer
from lienthong_notify.api import build_router
from lienthong_notify.channels import build_channels, callback_tokens, close_channels
from lienthong_notify.config import NotifySettings
from lienthong_notify.contacts import CONTACTS, ContactBook
from lienthong_notify.dispatcher import Dispatcher, DispatchPolicy
from lienthong_notify.health import provider_health
from lienthong_notify.notifier import Notifier, SmsPolicy
from lienthong_notify.outbox import NOTIFICATIONS, SEND_CLAIMS, Outbox
from lienthong_notify.providers import FailoverChannel
from lienthong_notify.purge import PeriodicPurge
from lienthong_notify.purge_days import PURGE_MARKS
from lienthong_notify.quiet import QuietHours
from lienthong_notify.rendering import TemplateBook
from lienthong_notify.rules import RuleBook, load_rules

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def handler_table(
    rules: RuleBook, contacts: ContactBook, notifier: Notifier
) -> dict[str, Sequence[Handler]]:
    """Event type → handlers: the contact projection first, then the citizen's messages for
    every event type the rules name (so a rule for a new event type needs no code)."""
    table: dict[str, list[Handler]] = {
        "dossier.submitted": [contacts.on_submitted],
        "dossier.received": [contacts.on_received],
        "dossier.notification-preference-changed": [
            contacts.on_preference_changed,
            notifier.hold_back,
        ],
        "dossier.completed": [contacts.on_closed],
        "dossier.rejected": [contacts.on_closed],
        "dossier.refused": [contacts.on_closed],
        "dossier.withdrawn": [contacts.on_closed],
    }
    for event_type in rules.event_types:
        table.setdefault(event_type, []).append(notifier.notify_citizen)
    return dict(table)


def _dispatch_policy(config: NotifySettings) -> DispatchPolicy:
    return DispatchPolicy(
        max_attempts=config.max_attempts,
        backoff_initial_s=config.backoff_initial_s,
        backoff_max_s=config.backoff_max_s,
        lease_s=config.send_lease_s,
        interval_s=config.dispatch_interval_s,
        batch=config.dispatch_batch,
        concurrency=config.dispatch_concurrency,
    )


def _health_reporter(
    context: ServiceContext,
    config: NotifySettings,
    channels: Mapping[str, FailoverChannel],
    tally: Tally,
    clock: Clock,
) -> HealthReporter:
    """The `ops.health` snapshots of this instance's providers, every `health_interval_s`."""

    async def snapshot(taken: Snapshot) -> NotifyHealthReported:
        return provider_health(channels, taken)

    return HealthReporter(
        context.bus,
        service=context.name,
        source=SOURCE,
        instance=context.settings.instance_id,
        interval_s=config.health_interval_s,
        tally=tally,
        build=snapshot,
        clock=clock,
    )


def build(
    context: ServiceContext, settings: NotifySettings | None = None, clock: Clock = utc_now
) -> ServiceSpec:
    """Wire the notify service from the runtime's context (its one composition root)."""
    config = settings or NotifySettings()
    zone = ZoneInfo(config.timezone)
    rules = load_rules(config.rules_file)
    templates = TemplateBook(zone)
    for rule in rules.rules:
        templates.check(rule.template_ref)
    store = context.store
    marks = store.collection(PURGE_MARKS)
    outbox = Outbox(store.collection(NOTIFICATIONS), store.collection(SEND_CLAIMS), marks)
    contacts = ContactBook(store.collection(CONTACTS), marks)
    announcer = Announcer(context.bus, outbox)
    tally = Tally(clock)
    channels = build_channels(config, tally)
    dispatcher = Dispatcher(outbox, channels, announcer, _dispatch_policy(config), clock)
    notifier = Notifier(
        rules=rules,
        templates=templates,
        contacts=contacts,
        outbox=outbox,
        announcer=announcer,
        quiet=QuietHours(config.quiet_hours_start, config.quiet_hours_end, zone),
        sms=SmsPolicy(config.sms_max_segments, config.sms_unaccented),
        tracking_base_url=config.tracking_base_url,
        survey_base_url=config.survey_base_url,
        stale_after=timedelta(hours=config.stale_after_hours),
        clock=clock,
        submit=dispatcher.submit,
    )
    purge = PeriodicPurge(
        outbox, contacts, timedelta(days=config.retention_days), config.purge_interval_s, clock
    )
    router = build_router(outbox, contacts, announcer, context.bus, callback_tokens(config), clock)
    reporter = _health_reporter(context, config, channels, tally, clock)

    async def close() -> None:
        await close_channels(channels)

    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=router,
        consumes=[DOSSIER_EVENTS],
        handlers=handler_table(rules, contacts, notifier),
        setup=[outbox.prepare, contacts.prepare],
        on_start=[dispatcher.start, purge.start, reporter.start],
        on_stop=[reporter.stop, purge.stop, dispatcher.stop, close],
    )
