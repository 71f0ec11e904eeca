"""The process that runs one or more services: bus, stores, consumers, one HTTP app.

`lienthong up` hosts every installed service in one process on one port; `lienthong run X`
hosts one. With no Kafka/Mongo configured, the bus is in-process and stores are in memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from lienthong import __version__
from lienthong.bus import Bus, InMemoryBus, KafkaBus, RetryPolicy, Subscription
from lienthong.http import install_problem_handlers, problem_response
from lienthong.http.openapi import describe_problems, problems
from lienthong.outages import is_outage
from lienthong.runtime.service import ServiceContext, ServiceSpec, discover
from lienthong.settings import DEV_TOKEN_KEY, Settings
from lienthong.store import InMemoryStore, MongoStore, Store
from lienthong.store.shapes import QueryShapes
from lienthong.topics import core_topics

log = structlog.get_logger("lienthong.runtime")

STARTUP_ATTEMPT_S = 30.0  # one attempt of a start-up step; then it is tried again


def build_bus(settings: Settings, client_id: str) -> Bus:
    policy = RetryPolicy(
        settings.handler_max_attempts,
        settings.handler_backoff_initial_s,
        settings.handler_backoff_max_s,
        outage=is_outage,
    )
    if settings.kafka_bootstrap:
        return KafkaBus(
            settings.kafka_bootstrap,
            client_id=client_id,
            topic_prefix=settings.topic_prefix,
            policy=policy,
            batch_size=settings.consumer_batch_size,
            dlq_partitions=settings.dlq_partitions,
            replication_factor=settings.replication_factor,
        )
    return InMemoryBus(policy=policy, batch_size=settings.consumer_batch_size)


class Host:
    def __init__(self, settings: Settings, services: Sequence[str] | None = None) -> None:
        self.settings = settings
        available = discover()
        names = list(services) if services else list(available)
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValueError(f"unknown service(s) {unknown}; installed: {sorted(available)}")
        self.bus = build_bus(settings, client_id=f"lienthong-{'+'.join(names)}")
        self._mongo: AsyncMongoClient[dict[str, Any]] | None = (
            AsyncMongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
            if settings.mongo_url
            else None
        )
        shapes_file = settings.store_query_shapes_file
        self._shapes = QueryShapes(shapes_file) if shapes_file else None
        self._startup_deadline = 0.0  # set by start(): when start-up stops waiting
        self.stores: dict[str, Store] = {name: self._store_for(name) for name in names}
        self.contexts = {n: ServiceContext(n, settings, self.bus, self.stores[n]) for n in names}
        self.specs: list[ServiceSpec] = [available[n](self.contexts[n]) for n in names]

    def _store_for(self, service: str) -> Store:
        if self._mongo is None:
            return InMemoryStore(service)
        database = f"{self.settings.database_prefix}_{service.replace('-', '_')}"
        return MongoStore(self._mongo, database, self._shapes)

    def topics(self) -> dict[str, int]:
        wanted = core_topics(self.settings)
        for spec in self.specs:
            wanted.update(spec.topics)
        return wanted

    async def start(self) -> None:
        self._startup_deadline = time.monotonic() + self.settings.startup_wait_s
        key = self.settings.token_key.get_secret_value()
        if not self.settings.embedded and key == DEV_TOKEN_KEY:
            log.warning("development_token_key_in_use", hint="set LIENTHONG_TOKEN_KEY")
        await self._once_reachable("topics", lambda: self.bus.ensure_topics(self.topics()))
        for spec in self.specs:
            if spec.consumes and (spec.handlers or spec.records):
                context = self.contexts.get(spec.name)
                forget = context.forget_cached if context else None
                self.bus.subscribe(
                    Subscription(spec.group, spec.consumes, records=spec.records, on_revoked=forget)
                    if spec.records is not None
                    else Subscription(
                        spec.group,
                        spec.consumes,
                        spec.dispatch,
                        frozenset(spec.handlers),
                        on_revoked=forget,
                    )
                )
        for spec in self.specs:
            for hook in spec.setup:
                await self._once_reachable(f"{spec.name} set-up", hook)
        await self._once_reachable("bus", self.bus.start)
        for spec in self.specs:
            for hook in spec.on_start:
                await hook()
        log.info(
            "host_started", services=[s.name for s in self.specs], embedded=self.settings.embedded
        )

    async def _once_reachable(self, step: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a start-up step (idempotent), waiting out an outage of the broker or the store
        until `startup_wait_s` after start-up began (all steps together; the last attempt may
        end up to STARTUP_ATTEMPT_S later): a replica started while Kafka or the database
        restarts comes up when they do, instead of exiting into its supervisor's back-off."""

        def waiting(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "waiting_for_infrastructure",
                step=step,
                attempt=state.attempt_number,
                error=type(error).__name__,
                waited_s=round(state.seconds_since_start or 0.0, 1),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: is_outage(e) or isinstance(e, TimeoutError)),
            wait=wait_exponential(multiplier=0.5, max=5),
            stop=stop_after_delay(max(0.0, self._startup_deadline - time.monotonic())),
            before_sleep=waiting,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:  # a server that accepts connections but never answers: try again
                await asyncio.wait_for(run(), STARTUP_ATTEMPT_S)

    async def stop(self) -> None:
        for spec in reversed(self.specs):
            for hook in spec.on_stop:
                await hook()
        await self.close()
        log.info("host_stopped")

    async def close(self) -> None:
        """Release the bus and the stores (what stop() does after the services' hooks)."""
        await self.bus.stop()
        for store in self.stores.values():
            await store.close()
        if self._mongo is not None:
            await self._mongo.close()

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        probes = {
            "bus": self.bus.ping(),
            **{f"store:{n}": s.ping() for n, s in self.stores.items()},
        }
        for name, probe in probes.items():
            try:
                await asyncio.wait_for(probe, timeout=3)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"failing: {type(exc).__name__}"
        for group, health in self.bus.consumer_health().items():
            checks[f"consumer:{group}"] = health
        return checks

    def app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        title = "LiênThông" if len(self.specs) != 1 else f"LiênThông {self.specs[0].name}"
        app = FastAPI(title=title, version=__version__, lifespan=lifespan)
        app.state.settings = self.settings
        app.state.host = self
        install_problem_handlers(app)
        describe_problems(app)
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
        for spec in self.specs:
            if spec.router is not None:
                app.include_router(spec.router)
        self._add_operational_routes(app)
        return app

    def _add_operational_routes(self, app: FastAPI) -> None:
        @app.get("/healthz", tags=["operations"], summary="Liveness")
        async def healthz() -> dict[str, Any]:
            return {"status": "ok", "services": [s.name for s in self.specs]}

        @app.get(
            "/readyz",
            tags=["operations"],
            summary="Readiness: bus and stores answer",
            responses=problems(503),
        )
        async def readyz() -> JSONResponse:
            checks = await self.readiness()
            if all(v == "ok" for v in checks.values()):
                return JSONResponse({"status": "ready", "checks": checks})
            return problem_response(503, "Not ready", "a dependency is failing", checks=checks)

        @app.get(
            "/metrics",
            tags=["operations"],
            summary="Prometheus metrics",
            response_class=PlainTextResponse,
        )
        async def metrics() -> PlainTextResponse:
            return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)
