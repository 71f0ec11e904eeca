"""Simulated legacy systems of three agencies (REST, SOAP, webhook) for demos and tests."""

from lienthong_agency_adapter.simulators.base import Behaviour, CallbackCredentials, SimulatedSystem
from lienthong_agency_adapter.simulators.civil_status import civil_status_app
from lienthong_agency_adapter.simulators.residence import residence_app
from lienthong_agency_adapter.simulators.server import serving
from lienthong_agency_adapter.simulators.social_insurance import social_insurance_app

__all__ = [
    "Behaviour",
    "CallbackCredentials",
    "SimulatedSystem",
    "civil_status_app",
    "residence_app",
    "serving",
    "social_insurance_app",
]
