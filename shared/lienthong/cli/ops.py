"""Operator commands on topics and dead letters."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lienthong.bus import Bus, dlq_topic
from lienthong.ops import (
    DEFAULT_PACE_PER_S,
    Actor,
    DeadLetter,
    DeadLetterBook,
    DeadLetterError,
    DeadLetterId,
    ReplayReport,
)
from lienthong.settings import Settings

topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
dlq_app = typer.Typer(
    help="Dead letters: list and show them, replay them to their topic or discard them. "
    "Every replay and discard is recorded on operator.actions with who did it.",
    no_args_is_help=True,
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


# --- dead letters ------------------------------------------------------------------------

GroupArg = Annotated[str, typer.Argument(help="consumer group")]

T = TypeVar("T")


def _actor() -> Actor:
    """The operator at this terminal, as recorded on `operator.actions`."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return Actor(f"cli:{user}", "operator")


def _with_book(kafka: str | None, work: Callable[[DeadLetterBook], Awaitable[T]]) -> T:
    """Run `work` on a started bus; a refused request or an unreachable Kafka is one line
    on stderr and exit code 2."""
    settings = _settings(kafka)

    async def run() -> T:
        bus = _bus(settings)
        try:
            await bus.start()
            return await work(DeadLetterBook(bus, source="/cli"))
        finally:
            await bus.stop()

    # aiokafka logs each failed connection attempt; the one line below says it for them.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    try:
        return asyncio.run(run())
    except DeadLetterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KafkaError as exc:
        typer.echo(f"error: Kafka at {settings.kafka_bootstrap}: {exc}", err=True)
        raise typer.Exit(2) from None


def _state(letter: DeadLetter) -> str:
    action = letter.settled_by
    if action is None:
        return letter.state
    why = f": {action.reason}" if action.reason else ""
    return f"{letter.state} by {action.actor}{why}"[:60]


def _table(title: str, letters: list[DeadLetter]) -> Table:
    """Ids and origins stay whole (to copy them); the rest wraps on a narrow terminal."""
    table = Table(title=title)
    for name, texts in (("id", [x.id for x in letters]), ("origin", [x.origin for x in letters])):
        table.add_column(name, no_wrap=True, min_width=max(map(len, texts), default=0))
    table.add_column("type", overflow="fold")
    table.add_column("error", ratio=2)
    table.add_column("failed at (UTC)")
    table.add_column("state", ratio=1)
    for letter in letters:
        failed_at = letter.failed_at.astimezone(UTC) if letter.failed_at else None
        table.add_row(
            letter.id,
            letter.origin,
            letter.event_type or "?",
            f"{letter.error_type}: {letter.error_message}"[:100],
            failed_at.strftime("%Y-%m-%d %H:%M:%S") if failed_at else "",
            _state(letter),
        )
    return table


@dlq_app.command("list")
def dlq_list(
    group: Annotated[
        str | None, typer.Argument(help="consumer group (default: every group)")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="also the replayed and discarded ones")
    ] = False,
    kafka: KafkaOpt = None,
) -> None:
    """Show the pending dead letters of a consumer group, or of every group."""
    letters = _with_book(kafka, lambda book: book.letters(group, include_settled=everything))
    pending = sum(1 for letter in letters if letter.pending)
    settled = f", {len(letters) - pending} settled" if everything else ""
    title = f"{dlq_topic(group) if group else 'every dlq.*'}: {pending} pending{settled}"
    Console().print(_table(title, letters))


@dlq_app.command("show")
def dlq_show(
    id: Annotated[str, typer.Argument(help="dead-letter id <group>-<partition>-<offset>")],
    kafka: KafkaOpt = None,
) -> None:
    """Show one dead letter with its payload (personal data masked)."""
    letter = _with_book(kafka, lambda book: book.letter(id))
    lines = {
        "id": letter.id,
        "state": _state(letter),
        "origin": letter.origin,
        "type": letter.event_type or "?",
        "event id": letter.event_id or "?",
        "subject": letter.subject or "",
        "error": f"{letter.error_type}: {letter.error_message}",
        "attempts": str(letter.attempts),
        "failed at": letter.failed_at.isoformat() if letter.failed_at else "",
    }
    for name, value in lines.items():
        typer.echo(f"{name + ':':<10} {value}")
    payload = letter.masked_payload
    shown = (
        payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, indent=2)
    )
    typer.echo(f"payload (personal data masked):\n{shown}")


@dlq_app.command("replay")
def dlq_replay(
    group: GroupArg,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="only this dead letter (repeatable)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show, publish nothing")] = False,
    pace: Annotated[
        float, typer.Option("--pace", help="records a second at most", min=0.01)
    ] = DEFAULT_PACE_PER_S,
    reason: Annotated[str | None, typer.Option("--reason", help="why, for the record")] = None,
    kafka: KafkaOpt = None,
) -> None:
    """Put a group's pending dead letters back on the topics they came from, with progress."""

    async def replay(book: DeadLetterBook) -> ReplayReport:
        if dry_run:
            return await _replay(book, group, ids, reason, dry_run=True, pace_per_s=pace)
        bar = _ProgressBar(f"replaying {dlq_topic(group)}")
        try:
            return await _replay(book, group, ids, reason, pace_per_s=pace, progress=bar)
        finally:
            bar.close()

    report = _with_book(kafka, replay)
    if dry_run:
        Console().print(_table(f"{dlq_topic(group)}: would replay", list(report.letters)))
        typer.echo(f"dry run: would replay {report.count} dead letter(s) of group {group}")
    else:
        typer.echo(f"replayed {report.count} dead letter(s) of group {group}")


class _ProgressBar:
    """Shown from the first record put back: a refused request prints its error alone."""

    def __init__(self, description: str) -> None:
        self._description = description
        self._bar: tuple[Progress, TaskID] | None = None

    def __call__(self, _letter: DeadLetter, done: int, total: int) -> None:
        if self._bar is None:
            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            progress.start()
            self._bar = (progress, progress.add_task(self._description, total=total))
        progress, task = self._bar
        progress.update(task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar[0].stop()


async def _replay(
    book: DeadLetterBook, group: str, ids: list[str] | None, reason: str | None, **kwargs: Any
) -> ReplayReport:
    if ids:
        for id in ids:
            if DeadLetterId.parse(id).group != group:
                raise DeadLetterError(f"dead letter {id} is not of group {group}")
        return await book.replay(ids, _actor(), reason, **kwargs)
    return await book.replay_group(group, _actor(), reason, **kwargs)


@dlq_app.command("discard")
def dlq_discard(
    ids: Annotated[list[str], typer.Argument(help="dead-letter ids <group>-<partition>-<offset>")],
    reason: Annotated[str, typer.Option("--reason", help="why they are not to be replayed")],
    kafka: KafkaOpt = None,
) -> None:
    """Mark dead letters as not to be replayed, saying why (they are no longer offered)."""
    discarded = _with_book(kafka, lambda book: book.discard(ids, _actor(), reason))
    typer.echo(f"discarded {len(discarded)} dead letter(s)")
