"""Connectors: one port, built-in adapters (REST, SOAP, webhook, inbox, manual), plugins."""

from lienthong_agency_adapter.connectors.base import (
    AgencyAnswer,
    BaseConnector,
    Connector,
    ConnectorContext,
    Delivery,
    DeliveryError,
    MalformedAnswer,
    PermanentDeliveryError,
    Receipt,
    RetryableDeliveryError,
)
from lienthong_agency_adapter.connectors.registry import (
    UnknownConnector,
    build_connector,
    connector_types,
)

__all__ = [
    "AgencyAnswer",
    "BaseConnector",
    "Connector",
    "ConnectorContext",
    "Delivery",
    "DeliveryError",
    "MalformedAnswer",
    "PermanentDeliveryError",
    "Receipt",
    "RetryableDeliveryError",
    "UnknownConnector",
    "build_connector",
    "connector_types",
]
