"""Topic names and their partition counts (from settings).

* `dossier.events` — every lifecycle fact of every dossier, keyed by dossier id.
* `agency.tasks.<agency>` — one work queue per agency, so an agency's credentials can be
  limited to its own topic.
* `dlq.<group>` — dead letters of one consumer group.
* `operator.actions` — what operators did (a dead letter replayed or discarded: who, when,
  why), keyed by what they acted on. One partition: one total order of operator actions.
* `ops.health` — periodic health snapshots of service instances (an agency adapter's circuits
  and waiting tasks, notify's providers), keyed by `<service>/<instance id>`, for operators'
  consoles. One partition: a handful of small messages every few seconds, read in one order.
"""

from __future__ import annotations

import re

from lienthong.settings import Settings

DOSSIER_EVENTS = "dossier.events"
AGENCY_TASKS_PREFIX = "agency.tasks."
OPERATOR_ACTIONS = "operator.actions"
OPS_HEALTH = "ops.health"

_AGENCY_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def agency_tasks(agency: str) -> str:
    if not _AGENCY_CODE.match(agency):
        raise ValueError(f"agency code {agency!r} must be lowercase letters, digits and '-'")
    return AGENCY_TASKS_PREFIX + agency


def core_topics(settings: Settings) -> dict[str, int]:
    return {DOSSIER_EVENTS: settings.dossier_partitions, OPERATOR_ACTIONS: 1, OPS_HEALTH: 1}
