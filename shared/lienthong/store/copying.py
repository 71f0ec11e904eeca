"""Copies of stored documents (the store hands out copies, as a database does)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_IMMUTABLE = (str, int, float, bool, bytes, type(None), datetime, date, Decimal)


def copy_document(value: Any) -> Any:
    """A deep copy of a stored document: its dicts and lists copied, its scalars shared
    (they are immutable). Several times cheaper than `copy.deepcopy`, which the embedded
    default spent a third of its CPU in."""
    kind = type(value)
    if kind is dict:
        return {key: copy_document(item) for key, item in value.items()}
    if kind is list:
        return [copy_document(item) for item in value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)
