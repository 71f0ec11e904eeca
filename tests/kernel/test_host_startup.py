"""A replica started while its broker or store is away waits for them (`startup_wait_s`)
instead of exiting, and gives up loudly when they stay away. Real Kafka and FerretDB behind a
TCP relay that is not listening yet: connections are refused, as when the server restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiokafka.errors import KafkaConnectionError
from structlog.testing import capture_logs

from lienthong.runtime import host as host_module
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from tests.conftest import Infra
from tests.support import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


class Relay:
    """Forwards 127.0.0.1:`port` to `target` once `open()` is called; before, nothing
    listens there."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def black_hole(self) -> None:
        """Accept connections and never answer (a server hung behind its listener)."""

        async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # until the client gives up

        self._server = await asyncio.start_server(swallow, "127.0.0.1", self.port)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        sink.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()


@pytest.fixture
async def relays(infra: Infra) -> AsyncIterator[tuple[Relay, Relay]]:
    kafka, mongo = Relay(infra.kafka_bootstrap), Relay(urlsplit(infra.mongo_url).netloc)
    yield kafka, mongo
    await kafka.close()
    await mongo.close()


def notary_on(kafka: str, mongo: str, unique: str, wait_s: float) -> Host:
    settings = Settings(
        kafka_bootstrap=kafka,
        mongo_url=mongo,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
        startup_wait_s=wait_s,
    )
    return Host(settings, ["notary"])


async def test_a_replica_started_before_its_broker_and_store_comes_up_with_them(
    infra: Infra, unique: str, relays: tuple[Relay, Relay]
) -> None:
    kafka, mongo = relays
    host = notary_on(kafka.address, f"mongodb://{mongo.address}/", unique, 60)
    with capture_logs() as logs:
        starting = asyncio.create_task(host.start())
        await asyncio.sleep(2)
        assert not starting.done(), "start-up went on without a broker"
        await kafka.open()  # the broker is back; the store is still away
        await asyncio.sleep(2)
        await mongo.open()
        await asyncio.wait_for(starting, 60)
    try:
        waits = [entry for entry in logs if entry["event"] == "waiting_for_infrastructure"]
        assert {entry["step"] for entry in waits} >= {"topics"}
        assert all(entry["error"] for entry in waits)
        readiness = await host.readiness()
        assert readiness, "no readiness checks"
        assert set(readiness.values()) == {"ok"}, readiness
    finally:
        await host.stop()


async def test_a_replica_whose_broker_stays_away_gives_up_after_the_wait(
    infra: Infra, unique: str, relays: tuple[Relay, Relay]
) -> None:
    kafka, _ = relays
    host = notary_on(kafka.address, infra.mongo_url, unique, 3)
    with capture_logs() as logs, pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(host.start(), 30)
    await host.close()
    assert [entry["step"] for entry in logs if entry["event"] == "waiting_for_infrastructure"]


async def test_a_store_that_accepts_but_never_answers_does_not_hang_start_up(
    infra: Infra, unique: str, relays: tuple[Relay, Relay], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, mongo = relays
    await mongo.black_hole()
    monkeypatch.setattr(host_module, "STARTUP_ATTEMPT_S", 1.0)
    host = notary_on(infra.kafka_bootstrap, f"mongodb://{mongo.address}/", unique, 3)
    with capture_logs() as logs, pytest.raises(TimeoutError):
        await asyncio.wait_for(host.start(), 30)
    await host.close()
    waits = [entry for entry in logs if entry["event"] == "waiting_for_infrastructure"]
    assert {entry["step"] for entry in waits} == {"notary set-up"}
    assert {entry["error"] for entry in waits} == {"TimeoutError"}
