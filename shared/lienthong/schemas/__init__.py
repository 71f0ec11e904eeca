"""Event payload schemas, one module per context. Importing this package registers them all.

Each context's module evolves with its service's issue; a change to a payload that is not
backwards compatible bumps its `version` (the envelope's `schemaversion`).
"""

from lienthong.schemas import agency, dossier, health, notify, operator, routing, survey, tasks

__all__ = ["agency", "dossier", "health", "notify", "operator", "routing", "survey", "tasks"]
