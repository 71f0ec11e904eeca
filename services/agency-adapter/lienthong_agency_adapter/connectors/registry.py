"""Connector types by name, from the entry-point group `lienthong.connectors`.

A third party ships a connector as a package declaring, in its pyproject.toml:

    [project.entry-points."lienthong.connectors"]
    my-erp = "my_package.connector:MyErpConnector"

The class takes `(agency: AgencyConfig, context: ConnectorContext)` and has `deliver`
(subclass `BaseConnector` and implement `send` to get timing, metrics and logging).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import structlog

from lienthong_agency_adapter.config import AgencyConfig
from lienthong_agency_adapter.connectors.base import Connector, ConnectorContext

ENTRY_POINT_GROUP = "lienthong.connectors"

ConnectorFactory = Callable[[AgencyConfig, ConnectorContext], Connector]
log = structlog.get_logger("lienthong.agency_adapter")


class UnknownConnector(LookupError):
    pass


def connector_types() -> dict[str, ConnectorFactory]:
    """Installed connector types by name; a broken plugin is logged, not fatal."""
    found: dict[str, ConnectorFactory] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[entry.name] = entry.load()
        except Exception as exc:
            log.error("connector_load_failed", connector=entry.name, error=repr(exc))
    return found


def build_connector(
    agency: AgencyConfig, context: ConnectorContext, types: dict[str, ConnectorFactory]
) -> Connector:
    factory = types.get(agency.connector)
    if factory is None:
        raise UnknownConnector(
            f"agency {agency.code}: connector {agency.connector!r} is not installed "
            f"(installed: {sorted(types)})"
        )
    return factory(agency, context)
