"""`lienthong audit`: verify the notary's chains against `dossier.events`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lienthong.audit import (
    NOTARY,
    AuditReport,
    Ledger,
    UnknownDossier,
    verify_all,
    verify_dossier,
    wait_for_notary,
)
from lienthong.bus import Bus, UnknownTopic
from lienthong.settings import Settings

audit_app = typer.Typer(
    help="The tamper-evident audit trail: each dossier's events chained by hash (the notary "
    "keeps the chains); verify them against dossier.events.",
    no_args_is_help=True,
)

KafkaOpt = Annotated[str | None, typer.Option("--kafka", help="Kafka bootstrap host:port")]
MongoOpt = Annotated[str | None, typer.Option("--mongo", help="MongoDB URL of the notary's store")]

T = TypeVar("T")

_DIVERGED_SHOWN = 50


def _settings(kafka: str | None, mongo: str | None) -> Settings:
    overrides = {"kafka_bootstrap": kafka, "mongo_url": mongo}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    if not (settings.kafka_bootstrap and settings.mongo_url):
        typer.echo(
            "error: needs Kafka and the notary's database: pass --kafka HOST:PORT and --mongo URL "
            "(or set LIENTHONG_KAFKA_BOOTSTRAP and LIENTHONG_MONGO_URL)",
            err=True,
        )
        raise typer.Exit(2)
    return settings


def _with_ledger(
    settings: Settings, wait_s: float, work: Callable[[Bus, Ledger], Awaitable[T]]
) -> T:
    """Run `work` on a started bus and the notary's store; an error is one line on stderr and
    exit code 2."""
    from lienthong.runtime.host import Host

    async def run() -> T:
        host = Host(settings, [NOTARY])
        try:
            await host.bus.start()
            if wait_s > 0 and not await wait_for_notary(host.bus, wait_s):
                typer.echo(f"the notary has not caught up with the topic in {wait_s:g} s", err=True)
            return await work(host.bus, Ledger.of(host.stores[NOTARY]))
        finally:
            await host.close()

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(run())
    except (UnknownDossier, UnknownTopic, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KafkaError as exc:
        typer.echo(f"error: Kafka at {settings.kafka_bootstrap}: {exc}", err=True)
        raise typer.Exit(2) from None
    except PyMongoError as exc:
        typer.echo(f"error: the notary's database: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(2) from None


@audit_app.command("verify")
def verify(
    dossier: Annotated[
        str | None, typer.Argument(help="a dossier code (or a dossier id)", show_default=False)
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="every dossier, in one pass over the topic")
    ] = False,
    partition: Annotated[
        int | None,
        typer.Option("--partition", min=0, help="with --all: only this partition of the topic"),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="first wait up to this many seconds for the notary to catch up; "
            "then events it has not chained fail the verification (exit 3)",
        ),
    ] = 0.0,
    kafka: KafkaOpt = None,
    mongo: MongoOpt = None,
) -> None:
    """Recompute dossiers' chains from dossier.events and compare them with the notary's.

    Exit 0 when they match (a notary still behind is said, not failed),
    1 naming the first event that differs (changed, removed, inserted, reordered), 2 on an error,
    3 when, with --wait, the notary has still not chained every event.
    """
    if (dossier is None) == (not every):
        typer.echo("error: name a dossier, or give --all", err=True)
        raise typer.Exit(2)
    if partition is not None and not every:
        typer.echo("error: --partition goes with --all", err=True)
        raise typer.Exit(2)
    settings = _settings(kafka, mongo)
    if dossier is not None:
        verdict = _with_ledger(
            settings, wait, lambda bus, ledger: verify_dossier(bus, ledger, dossier)
        )
        typer.echo(verdict.summary())
        if not verdict.ok:
            raise typer.Exit(1)
        if wait > 0 and verdict.pending:
            raise typer.Exit(3)
        return
    partitions = None if partition is None else [partition]
    with _progress() as (on_total, on_record, on_partition):
        report = _with_ledger(
            settings,
            wait,
            lambda bus, ledger: verify_all(
                bus, ledger, partitions, on_total, on_record, on_partition
            ),
        )
    for line in _summary(report):
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)
    if wait > 0 and report.pending:
        raise typer.Exit(3)


Callbacks = tuple[Callable[[int], None], Callable[[], None], Callable[[int, AuditReport], None]]


@contextmanager
def _progress() -> Iterator[Callbacks]:
    """A progress bar on a terminal; in a CI log, one line per partition instead."""
    console = Console(stderr=True)
    if not console.is_terminal:

        def said(partition: int, report: AuditReport) -> None:
            typer.echo(
                f"partition {partition} done: {report.dossiers} dossier(s), "
                f"{report.events} event(s) so far",
                err=True,
            )

        yield (lambda _total: None), (lambda: None), said
        return
    columns = (TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verify", total=None)
        yield (
            lambda total: progress.update(task, total=total),
            lambda: progress.advance(task),
            lambda _partition, _report: None,
        )


def _summary(report: AuditReport) -> list[str]:
    lines = [f"verified: {report.dossiers} dossier(s), {report.events} event(s)"]
    if report.pending:
        lines.append(
            f"the notary is behind: {report.pending} event(s) of {report.behind} dossier(s) "
            "not chained yet"
        )
    if report.unkeyed:
        lines.append(f"{report.unkeyed} record(s) without a key: no dossier's, not chained")
    if report.diverged:
        lines.append(f"diverged: {len(report.diverged)} dossier(s)")
        for verdict in report.diverged[:_DIVERGED_SHOWN]:
            lines.append(f"  {verdict.name}: {verdict.divergence}")
        if len(report.diverged) > _DIVERGED_SHOWN:
            lines.append(f"  … and {len(report.diverged) - _DIVERGED_SHOWN} more")
    return lines
