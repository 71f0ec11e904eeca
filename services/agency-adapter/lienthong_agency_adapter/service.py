"""Composition root of the agency-adapter service.

Delivers tasks from agency.tasks.<agency> to each agency's own or legacy system (REST, SOAP,
webhook, inbox pull, manual) and brings results back as events.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the agency-adapter service from the runtime's context (its one composition root)."""
    return ServiceSpec(name=context.name, summary=SUMMARY)
