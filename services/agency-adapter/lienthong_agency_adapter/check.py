"""Conformance kit: `lienthong agency check AGENCY`.

What an integrator runs before going live: it exercises the agency's configured endpoint
against the contract and prints what passes and what fails. For push connectors it delivers a
clearly marked test task (dossier code `CONFORMANCE-TEST`) twice with one idempotency key —
the system must accept it, answer in a form the mapping reads, and treat the repeat as the same
call. Webhook endpoints must also refuse an unsigned push.

An endpoint `{simulator:NAME}/...` (the shipped file) is checked against the simulated system
NAME, started by the check itself on a free port: a running instance's simulators listen on
ports only that instance knows.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from lienthong_agency_adapter.config import (
    AdapterSettings,
    AgencyBook,
    AgencyConfig,
    load_agencies,
)
from lienthong_agency_adapter.connectors import (
    ConnectorContext,
    Delivery,
    DeliveryError,
    Receipt,
    build_connector,
    connector_types,
)
from lienthong_agency_adapter.signing import new_api_key
from lienthong_agency_adapter.simulators.embedded import SYSTEMS, EmbeddedSimulators

PUSH = frozenset({"rest", "soap", "webhook"})


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


def conformance_delivery(callback_url: str, agency: str) -> Delivery:
    task_id = f"conformance-{uuid.uuid4().hex[:12]}"
    return Delivery(
        task_id=task_id,
        dossier_id=f"conformance-{task_id}",
        dossier_code="CONFORMANCE-TEST",
        procedure="0.000000",
        step="conformance",
        unit="00000",
        due_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
        idempotency_key=f"conformance:{task_id}",
        callback_url=f"{callback_url.rstrip('/')}/v1/agencies/{agency}/tasks/{task_id}",
    )


def credential_checks(agency: AgencyConfig) -> list[Check]:
    checks = [Check("connector installed", agency.connector in connector_types(), agency.connector)]
    try:
        secrets, token = agency.secrets(), agency.token()
    except ValueError as exc:
        return [*checks, Check("secrets resolvable", False, str(exc))]
    checks.append(Check("secrets resolvable", True, f"{len(secrets)} HMAC, token={bool(token)}"))
    if agency.connector == "webhook":
        checks.append(Check("webhook secret configured", bool(secrets)))
    if agency.connector in PUSH:
        checks.append(Check("endpoint configured", bool(agency.endpoint), agency.endpoint or ""))
    if agency.connector == "inbox":
        checks.append(Check("API key hashes configured", bool(agency.api_key_sha256)))
    if agency.connector == "manual":
        checks.append(Check("officer units configured", bool(agency.officer_units)))
    return checks


async def _timed_delivery(
    agency: AgencyConfig, context: ConnectorContext, delivery: Delivery
) -> tuple[Receipt | None, str]:
    connector = build_connector(agency, context, connector_types())
    started = time.perf_counter()
    try:
        receipt = await connector.deliver(delivery)
    except DeliveryError as exc:
        return None, str(exc)
    return receipt, f"{(time.perf_counter() - started) * 1000:.0f} ms"


async def endpoint_checks(
    agency: AgencyConfig, http: httpx.AsyncClient, callback_url: str
) -> list[Check]:
    context = ConnectorContext(http=http, public_url=callback_url)
    delivery = conformance_delivery(callback_url, agency.code)
    first, detail = await _timed_delivery(agency, context, delivery)
    checks = [Check("accepts a task, answer readable", first is not None, detail)]
    if first is None:
        return checks
    again, detail = await _timed_delivery(agency, context, delivery)
    same = again is not None and again.reference == first.reference
    checks.append(
        Check(
            "repeat with the same key is the same call",
            same,
            f"references {first.reference!r} / {again and again.reference!r}",
        )
    )
    if agency.connector == "webhook" and agency.endpoint:
        unsigned = await http.post(agency.endpoint, json={"task": delivery.fields()})
        checks.append(
            Check(
                "refuses an unsigned push",
                400 <= unsigned.status_code < 500,
                f"HTTP {unsigned.status_code}",
            )
        )
    return checks


async def conformance(agency: AgencyConfig, callback_url: str) -> list[Check]:
    checks = credential_checks(agency)
    if agency.connector not in PUSH or not all(c.passed for c in checks):
        return checks
    async with httpx.AsyncClient() as http:
        try:
            return checks + await endpoint_checks(agency, http, callback_url)
        except httpx.HTTPError as exc:
            return [*checks, Check("endpoint reachable", False, type(exc).__name__)]


async def conformance_of_simulated(agency: AgencyConfig, callback_url: str) -> list[Check]:
    """`conformance` against the simulated system the agency's endpoint names."""
    book = AgencyBook(agencies=(agency,))
    try:
        book.check_simulators(SYSTEMS)
    except ValueError as exc:
        return [Check("simulated system exists", False, str(exc))]
    # The simulators answer later through callback_url; an hour is after the check has ended
    # (and cancelled them), so a running instance never receives a stray answer.
    simulators = EmbeddedSimulators(answer_delay_s=3600)
    await simulators.start()
    try:
        return await conformance(book.with_simulators(simulators.urls).agencies[0], callback_url)
    finally:
        await simulators.stop()


app = typer.Typer(help="Agency integration tools.", no_args_is_help=True)


@app.callback()
def agency_tools() -> None:
    """Agency integration tools (`lienthong agency ...`)."""


@app.command("check")
def check(
    agency: Annotated[str, typer.Argument(help="agency code, as in agencies.yaml")],
    agencies_file: Annotated[Path | None, typer.Option(help="default: the adapter's")] = None,
    callback_url: Annotated[str, typer.Option(help="our public URL")] = "http://127.0.0.1:8000",
) -> None:
    """Exercise AGENCY's configured endpoint against the contract; exit 1 if anything fails."""
    book = load_agencies(agencies_file or AdapterSettings().agencies_file)
    config = book.get(agency)
    if config is None:
        typer.echo(f"no agency {agency!r}; configured: {[a.code for a in book.agencies]}")
        raise typer.Exit(2)
    if config.simulator is not None:
        typer.echo(f"{agency}: checking the simulated system {config.simulator!r} (started here)")
        checks = asyncio.run(conformance_of_simulated(config, callback_url))
    else:
        checks = asyncio.run(conformance(config, callback_url))
    table = Table(title=f"{agency} ({config.connector})")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    for item in checks:
        table.add_row(item.name, "PASS" if item.passed else "FAIL", item.detail)
    Console().print(table)
    if not all(c.passed for c in checks):
        raise typer.Exit(1)


@app.command("new-key")
def new_key() -> None:
    """Make an API key for an agency: give it the key, put the hash in agencies.yaml.

    Rotation: add the new hash beside the old one, let the agency switch, remove the old."""
    key, digest = new_api_key()
    typer.echo(f"api key (give to the agency, shown once): {key}")
    typer.echo(f"api_key_sha256 entry for agencies.yaml:    {digest}")
