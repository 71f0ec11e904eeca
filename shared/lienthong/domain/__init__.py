"""The pure, synchronous domain core: catalogue, workflow, topology, calendar, codes.

Nothing here performs I/O except reading the data files shipped in the package.
"""

from lienthong.domain.calendar import (
    CalendarOverrides,
    OfficeHours,
    WorkingCalendar,
    default_calendar,
    load_calendar_overrides,
)
from lienthong.domain.catalogue import Catalogue
from lienthong.domain.catalogue_loader import (
    CatalogueReport,
    check_catalogue,
    default_catalogue,
    load_catalogue,
    write_catalogue,
)
from lienthong.domain.codes import (
    Counters,
    DossierCode,
    counter_name,
    format_dossier_code,
    is_valid_dossier_code,
    issue_dossier_code,
    parse_dossier_code,
)
from lienthong.domain.deadlines import (
    Deadline,
    Limit,
    Pause,
    Timeliness,
    classify_completion,
    counted_receipt_day,
)
from lienthong.domain.errors import (
    AmbiguousUnit,
    CatalogueError,
    ClockStopped,
    DomainError,
    InvalidDossierCode,
    InvalidSelection,
    Issue,
    NaiveDatetimeError,
    NoCompetentUnit,
    NoVersionInForce,
    ProcedureNotFound,
    TopologyError,
    UnitResolutionError,
    UnknownTopology,
)
from lienthong.domain.localtime import VIETNAM_TZ, local_day, to_local
from lienthong.domain.procedure import Procedure, RequiredDocument, TimeLimit
from lienthong.domain.schedule import DossierSchedule
from lienthong.domain.synthetic import generate_procedures
from lienthong.domain.topology import (
    Succession,
    Topology,
    TopologyTimeline,
    Unit,
    UnitType,
    reorganisation,
)
from lienthong.domain.topology_data import default_timeline, load_timeline, load_topology
from lienthong.domain.vocabulary import CompetentLevel, OnlineLevel, TimeUnit, is_unconfirmed
from lienthong.domain.workflow import Step, Workflow

__all__ = [
    "VIETNAM_TZ",
    "AmbiguousUnit",
    "CalendarOverrides",
    "Catalogue",
    "CatalogueError",
    "CatalogueReport",
    "ClockStopped",
    "CompetentLevel",
    "Counters",
    "Deadline",
    "DomainError",
    "DossierCode",
    "DossierSchedule",
    "InvalidDossierCode",
    "InvalidSelection",
    "Issue",
    "Limit",
    "NaiveDatetimeError",
    "NoCompetentUnit",
    "NoVersionInForce",
    "OfficeHours",
    "OnlineLevel",
    "Pause",
    "Procedure",
    "ProcedureNotFound",
    "RequiredDocument",
    "Step",
    "Succession",
    "TimeLimit",
    "TimeUnit",
    "Timeliness",
    "Topology",
    "TopologyError",
    "TopologyTimeline",
    "Unit",
    "UnitResolutionError",
    "UnitType",
    "UnknownTopology",
    "Workflow",
    "WorkingCalendar",
    "check_catalogue",
    "classify_completion",
    "counted_receipt_day",
    "counter_name",
    "default_calendar",
    "default_catalogue",
    "default_timeline",
    "format_dossier_code",
    "generate_procedures",
    "is_unconfirmed",
    "is_valid_dossier_code",
    "issue_dossier_code",
    "load_calendar_overrides",
    "load_catalogue",
    "load_timeline",
    "load_topology",
    "local_day",
    "parse_dossier_code",
    "reorganisation",
    "to_local",
    "write_catalogue",
]
