"""LiênThông kernel: what every service imports.

Event envelope and schemas (`lienthong.events`), the bus port and its Kafka and in-process
adapters (`lienthong.bus`), the store port and its MongoDB and in-memory adapters
(`lienthong.store`), the domain core (`lienthong.domain`), settings, logging, telemetry,
security helpers, the HTTP scaffolding and the service runtime. It imports no service.
"""

__version__ = "0.1.0"
