"""A log of the query shapes a process sends to its database, for the index audit.

A shape is a query with its values left out: the collection, the operation, each filter
field with its operator (`eq` for a plain equality) and the sort fields. Each distinct shape is
appended once per process, as one JSON line, to the file named by the setting
`store_query_shapes_file` (LIENTHONG_STORE_QUERY_SHAPES_FILE). The test suite runs whole
flows with it set and checks with `explain` that every hot shape is served by an index
(tests/system/test_query_shapes.py).
Off (no file) by default. Values are never written, so no personal data reaches the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lienthong.store.port import Filter, SortSpec


def shape_of(
    database: str, collection: str, operation: str, filter: Filter | None, sort: SortSpec = ()
) -> dict[str, Any]:
    fields: dict[str, str] = {}
    for path, condition in (filter or {}).items():
        if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            fields[path] = ",".join(sorted(condition))
        else:
            fields[path] = "eq"
    return {
        "database": database,
        "collection": collection,
        "operation": operation,
        "filter": dict(sorted(fields.items())),
        "sort": [name for name, _ in sort],
    }


class QueryShapes:
    """Appends each new shape once to a JSON-lines file (several processes may share it)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: set[str] = set()

    def record(self, shape: dict[str, Any]) -> None:
        line = json.dumps(shape, sort_keys=True)
        if line in self._seen:
            return
        self._seen.add(line)
        # one short O_APPEND write per line: lines of several processes do not interleave
        with self._path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
