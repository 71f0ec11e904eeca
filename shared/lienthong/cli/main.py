"""The `lienthong` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import yaml

from lienthong.cli.audit import audit_app
from lienthong.cli.domain import calendar_app, catalog_app, topology_app
from lienthong.cli.ops import dlq_app, topics_app
from lienthong.settings import Settings

app = typer.Typer(
    name="lienthong",
    help="LiênThông: one-stop and inter-linked one-stop handling of administrative procedures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(topics_app, name="topics")
app.add_typer(dlq_app, name="dlq")
app.add_typer(audit_app, name="audit")
app.add_typer(catalog_app, name="catalog")
app.add_typer(topology_app, name="topology")
app.add_typer(calendar_app, name="calendar")


def _add_plugin_commands() -> None:
    """Services contribute command groups (e.g. `lienthong agency check`) through the
    `lienthong.cli` entry points: the kernel never imports a service by name."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="lienthong.cli"):
        try:
            app.add_typer(entry.load(), name=entry.name)
        except Exception as exc:  # a broken plugin must not break the whole command
            sys.stderr.write(f"warning: command group {entry.name!r} not loaded: {exc!r}\n")


_add_plugin_commands()

KafkaOpt = Annotated[
    str | None, typer.Option("--kafka", help="Kafka bootstrap host:port (default: in-process bus)")
]
MongoOpt = Annotated[
    str | None, typer.Option("--mongo", help="MongoDB URL (default: in-memory store)")
]
HostOpt = Annotated[str | None, typer.Option("--host", help="address to listen on")]
PortOpt = Annotated[int | None, typer.Option("--port", help="port to listen on")]


def settings_from(
    kafka: str | None = None,
    mongo: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> Settings:
    """Environment first (LIENTHONG_*), then the command line wins."""
    overrides = {
        k: v
        for k, v in {
            "kafka_bootstrap": kafka,
            "mongo_url": mongo,
            "host": host,
            "port": port,
        }.items()
        if v is not None
    }
    return Settings(**overrides)  # type: ignore[arg-type]


def _serve(settings: Settings, services: list[str] | None) -> None:
    import uvicorn

    class _GracefulServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, so the process would
        end "killed by signal" even though every consumer committed and every store closed.
        A completed shutdown exits 0, which supervisors read as a clean stop."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    self._captured_signals.clear()

    from lienthong.logging import configure_logging
    from lienthong.runtime.host import Host
    from lienthong.telemetry import configure_tracing

    name = "+".join(services) if services else "lienthong"
    configure_logging(name, settings.log_level, settings.log_json)
    configure_tracing(name, settings.trace_export, settings.trace_sample_ratio)
    # The port first: a second instance on a taken port stops here, before it joins consumer
    # groups (a rebalance of the running instance) or starts simulators.
    try:
        listening = _listen(settings.host, settings.port)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {settings.host}:{settings.port}: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.port == 0:  # --port 0: a free port, which callbacks must name
        settings = settings.model_copy(update={"port": listening.getsockname()[1]})
    try:
        host = Host(settings, services)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    mode = (
        "embedded (in-process bus, in-memory store)" if settings.embedded else "real infrastructure"
    )
    typer.echo(
        f"LiênThông {name} on http://{settings.host}:{settings.port} — {mode}. "
        f"API docs at /docs, health at /healthz. Ctrl-C stops.",
        err=True,
    )
    config = uvicorn.Config(
        host.app(),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # query strings can hold tracking secrets
        lifespan="on",
    )
    _GracefulServer(config).run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError:
        listening.close()
        raise
    listening.listen(2048)
    listening.set_inheritable(True)
    return listening


@app.command()
def up(
    kafka: KafkaOpt = None, mongo: MongoOpt = None, host: HostOpt = None, port: PortOpt = None
) -> None:
    """Run every service in one process on one port (embedded default: nothing but Python)."""
    _serve(settings_from(kafka, mongo, host, port), None)


@app.command()
def run(
    service: Annotated[str, typer.Argument(help="service name, e.g. intake")],
    kafka: KafkaOpt = None,
    mongo: MongoOpt = None,
    host: HostOpt = None,
    port: PortOpt = None,
) -> None:
    """Run one service alone (what a container runs)."""
    _serve(settings_from(kafka, mongo, host, port), [service])


@app.command()
def replay(
    service: Annotated[str, typer.Argument(help="service whose read models to rebuild")],
    kafka: KafkaOpt = None,
    mongo: MongoOpt = None,
) -> None:
    """Drop a service's projections and rebuild them from the topics, with progress."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from lienthong.runtime.host import Host
    from lienthong.runtime.replay import replay_service

    settings = settings_from(kafka, mongo)
    if settings.embedded:
        typer.echo("error: replay needs real infrastructure: --kafka and --mongo", err=True)
        raise typer.Exit(2)

    async def run() -> int:
        host = Host(settings, [service])
        await host.bus.start()
        try:
            with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
                task = progress.add_task("replay", total=None)
                return await replay_service(
                    host.specs[0],
                    host.bus,
                    host.stores[service],
                    on_total=lambda total: progress.update(task, total=total),
                    on_record=lambda: progress.advance(task),
                )
        finally:
            await host.close()

    try:
        count = asyncio.run(run())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"replayed {count} event(s) into {service}")


@app.command()
def services() -> None:
    """List the installed services."""
    from lienthong.runtime import discover

    for name in discover():
        typer.echo(name)


@app.command()
def token(
    role: Annotated[
        str, typer.Option(help="officer, supervisor, operator, auditor, admin, or agency")
    ],
    unit: Annotated[str | None, typer.Option(help="the officer's unit code")] = None,
    agency: Annotated[str | None, typer.Option(help="the agency code (agency tokens)")] = None,
    hours: Annotated[float, typer.Option(help="validity in hours")] = 8.0,
    subject: Annotated[
        str | None,
        typer.Option(help="who holds it, e.g. ops:nguyen.van.a (audits name them by it)"),
    ] = None,
) -> None:
    """Mint a staff or agency token signed with the configured key (dev, tests, scripts)."""
    from lienthong.security import mint_token

    try:
        typer.echo(
            mint_token(
                Settings(),
                role=role,
                unit=unit,
                agency=agency,
                subject=subject,
                ttl=timedelta(hours=hours),
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def asyncapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default stdout)")
    ] = None,
    format: Annotated[str, typer.Option(help="yaml or json")] = "yaml",
) -> None:
    """Print the AsyncAPI 3 document of every topic and message."""
    import lienthong.schemas  # noqa: F401  (registers the payloads)
    from lienthong.events.asyncapi import asyncapi_document

    document = asyncapi_document()
    text = (
        json.dumps(document, indent=2, ensure_ascii=False)
        if format == "json"
        else yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    app()
