"""Service discovery, composition and hosting."""

from lienthong.runtime.periodic import Periodic
from lienthong.runtime.service import ServiceContext, ServiceSpec, discover

__all__ = ["Periodic", "ServiceContext", "ServiceSpec", "discover"]
