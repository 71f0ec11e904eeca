"""Composition root of the routing service.

Decides where every dossier goes next across wards, districts and city departments, and keeps
the statutory clock.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the routing service from the runtime's context (its one composition root)."""
    return ServiceSpec(name=context.name, summary=SUMMARY)
