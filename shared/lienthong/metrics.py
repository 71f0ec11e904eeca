"""Prometheus metrics shared by the kernel; services add their own beside them."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

BUS_PUBLISHED = Counter("lienthong_bus_published_total", "Events appended to a topic", ["topic"])
BUS_HANDLED = Counter(
    "lienthong_bus_handled_total", "Records finished by a consumer group", ["group", "outcome"]
)
BUS_HANDLER_SECONDS = Histogram(
    "lienthong_bus_handler_seconds", "Time to handle one event, retries included", ["group"]
)
HTTP_PROBLEMS = Counter("lienthong_http_problems_total", "Problem responses returned", ["status"])
STORE_OPERATIONS = Counter(
    "lienthong_store_operations_total",
    "Round trips to a service's database (one per port call; a counter increment counts its"
    " own round trips)",
    ["store", "operation"],
)
PERIODIC_ROUNDS = Counter(
    "lienthong_periodic_rounds_total",
    "Rounds of a periodic background task (sweeps, purges, couriers), by outcome",
    ["task", "outcome"],
)
PERIODIC_ROUND_SECONDS = Histogram(
    "lienthong_periodic_round_seconds",
    "Time one round of a periodic background task took",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
