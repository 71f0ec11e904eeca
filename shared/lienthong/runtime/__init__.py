"""Service discovery, composition and hosting."""

from lienthong.runtime.service import ServiceContext, ServiceSpec, discover

__all__ = ["ServiceContext", "ServiceSpec", "discover"]
