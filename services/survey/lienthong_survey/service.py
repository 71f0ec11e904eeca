"""Composition root of the survey service.

Citizens rate every step and every unit; the city sees its service quality.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the survey service from the runtime's context (its one composition root)."""
    return ServiceSpec(name=context.name, summary=SUMMARY)
