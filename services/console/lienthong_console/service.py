"""Composition root of the console service.

Operators watching the stream: live event tail, consumer lag, SLA board, dead letters and
replay, adapter health, charts.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the console service from the runtime's context (its one composition root)."""
    return ServiceSpec(name=context.name, summary=SUMMARY)
