"""Operator commands on topics and dead letters."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lienthong.bus import Bus, UnknownTopic, dlq_topic
from lienthong.events import RawMessage
from lienthong.settings import Settings

topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
dlq_app = typer.Typer(
    help="Dead letters: list them, replay them to their topic.", no_args_is_help=True
)

KafkaOpt = Annotated[str | None, typer.Option("--kafka", help="Kafka bootstrap host:port")]


def _settings(kafka: str | None) -> Settings:
    settings = Settings(**({"kafka_bootstrap": kafka} if kafka else {}))  # type: ignore[arg-type]
    if not settings.kafka_bootstrap:
        typer.echo(
            "error: needs Kafka: pass --kafka HOST:PORT or set LIENTHONG_KAFKA_BOOTSTRAP", err=True
        )
        raise typer.Exit(2)
    return settings


def _bus(settings: Settings) -> Bus:
    from lienthong.runtime.host import build_bus

    return build_bus(settings, client_id="lienthong-cli")


@topics_app.command("create")
def topics_create(kafka: KafkaOpt = None) -> None:
    """Create every topic the installed services need, with configured partition counts."""
    from lienthong.bus.kafka_admin import create_missing_topics
    from lienthong.runtime.host import Host

    settings = _settings(kafka)
    wanted = Host(settings).topics()
    physical = {settings.topic_prefix + name: count for name, count in wanted.items()}
    created = asyncio.run(
        create_missing_topics(settings.kafka_bootstrap or "", physical, settings.replication_factor)
    )
    for name, count in sorted(physical.items()):
        typer.echo(f"{name}\t{count} partitions\t{'created' if name in created else 'exists'}")


def _describe(record: RawMessage) -> list[str]:
    return [
        f"{record.header_str('dlq.original.topic')}:{record.header_str('dlq.original.partition')}"
        f"@{record.header_str('dlq.original.offset')}",
        record.header_str("ce_type") or "?",
        record.header_str("ce_id") or "?",
        f"{record.header_str('dlq.error.type')}: {record.header_str('dlq.error.message')}"[:120],
        record.header_str("dlq.failed_at") or "",
    ]


@dlq_app.command("list")
def dlq_list(
    group: Annotated[str, typer.Argument(help="consumer group")], kafka: KafkaOpt = None
) -> None:
    """Show the dead letters of a consumer group."""

    async def read() -> list[RawMessage]:
        bus = _bus(_settings(kafka))
        await bus.start()
        try:
            return await bus.read_topic(dlq_topic(group))
        except UnknownTopic:
            return []
        finally:
            await bus.stop()

    records = asyncio.run(read())
    table = Table(
        "origin", "type", "event id", "error", "failed at", title=f"dlq.{group}: {len(records)}"
    )
    for record in records:
        table.add_row(*_describe(record))
    Console().print(table)


def strip_dead_letter_headers(record: RawMessage) -> RawMessage:
    """The original record, as it was before it was dead-lettered."""
    topic = record.header_str("dlq.original.topic")
    if not topic:
        raise ValueError(f"dead letter at offset {record.offset} has no dlq.original.topic")
    headers = tuple(h for h in record.headers if not h[0].startswith("dlq."))
    return RawMessage(topic=topic, key=record.key, value=record.value, headers=headers)


async def replay_dead_letters(bus: Bus, group: str, progress: Progress | None = None) -> int:
    """Put every not-yet-replayed dead letter of `group` back on its original topic.

    Progress is kept by the consumer group `dlq-replay.<group>`, so a replay that stops half
    way resumes where it stopped and nothing is replayed twice by design (at-least-once if
    the process dies between the publish and the commit).
    """
    task = progress.add_task(f"replaying dlq.{group}", total=None) if progress else None

    def on_total(total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, total=total)

    async def put_back(record: RawMessage) -> None:
        await bus.publish_raw([strip_dead_letter_headers(record)])
        if progress is not None and task is not None:
            progress.advance(task)

    return await bus.consume_available(dlq_topic(group), f"dlq-replay.{group}", put_back, on_total)


@dlq_app.command("replay")
def dlq_replay(
    group: Annotated[str, typer.Argument(help="consumer group")], kafka: KafkaOpt = None
) -> None:
    """Replay a group's dead letters to the topics they came from, with progress."""

    async def replay() -> int:
        bus = _bus(_settings(kafka))
        await bus.start()
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            ) as progress:
                return await replay_dead_letters(bus, group, progress)
        except UnknownTopic:
            return 0
        finally:
            await bus.stop()

    count = asyncio.run(replay())
    typer.echo(f"replayed {count} dead letter(s) of group {group}")
