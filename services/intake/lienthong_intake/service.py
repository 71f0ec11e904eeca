"""Composition root of the intake service.

Citizen-facing side: submission at the counter, by post or online; receipts with the appointment
date; supplements and withdrawal; citizen tracking; the public procedure catalogue.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the intake service from the runtime's context (its one composition root)."""
    return ServiceSpec(name=context.name, summary=SUMMARY)
