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
