"""Helpers for the domain tests: Vietnamese moments and a valid procedure to vary."""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any

from lienthong.domain import VIETNAM_TZ


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware moment in Vietnamese time."""
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def text(label: str) -> dict[str, str]:
    return {"vi": label, "en": label}


def step(
    step_id: str, role: str, share: str | float = 0, after: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "id": step_id,
        "name": text(step_id),
        "role": role,
        "share": share,
        "after": list(after),
        **extra,
    }


BASE_PROCEDURE: dict[str, Any] = {
    "code": "1.001193",
    "version": 1,
    "effective_from": "2024-01-01",
    "name": text("Thủ tục mẫu"),
    "field": {"id": "ho-tich", "vi": "Hộ tịch", "en": "Civil status"},
    "competent_level": "commune",
    "documents": [
        {"type": "to-khai", "name": text("Tờ khai"), "mandatory": True},
        {
            "type": "uy-quyen",
            "name": text("Văn bản ủy quyền"),
            "mandatory": True,
            "condition": {"form_field": "submitted_by_proxy"},
        },
        {"type": "ban-sao", "name": text("Bản sao"), "mandatory": False},
    ],
    "time_limit": {"value": 3, "unit": "working_days", "cutoff_applies": True},
    "online_level": "toan_trinh",
    "workflow": {
        "steps": [
            step("receive", "ward.one-stop"),
            step("decide", "ward.civil-status", "2/3", ("receive",)),
            step("return-result", "ward.one-stop", "1/3", ("decide",)),
        ]
    },
}


def procedure_data(**changes: Any) -> dict[str, Any]:
    """The base procedure with top-level keys replaced."""
    data = deepcopy(BASE_PROCEDURE)
    data.update(deepcopy(changes))
    return data
