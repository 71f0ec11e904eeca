"""A synthetic, deterministic catalogue of any size (HCMC has about 1,800 procedures).

Used by benchmarks and load tests: the same `(count, seed)` always gives the same procedures,
and every one of them validates. Codes are `9.000001`, `9.000002`, … (no real procedure
code starts with 9) so synthetic data can never be mistaken for the real catalogue.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

from lienthong.domain.procedure import Procedure

SYNTHETIC_ROLES = (
    "ward.civil-status",
    "ward.construction",
    "ward.economy",
    "ward.social-affairs",
    "police.residence",
    "social-insurance",
    "tax",
)
FIELDS = (
    ("ho-tich", "Hộ tịch", "Civil status"),
    ("cu-tru", "Cư trú", "Residence"),
    ("xay-dung", "Hoạt động xây dựng", "Construction"),
    ("dat-dai", "Đất đai", "Land"),
    ("kinh-doanh", "Kinh doanh", "Business"),
    ("bao-hiem-xa-hoi", "Bảo hiểm xã hội", "Social insurance"),
)
DOCUMENTS = (
    ("don-de-nghi", "Đơn đề nghị", "Application"),
    ("giay-to-tuy-than", "Giấy tờ tùy thân", "Identity document"),
    ("giay-to-nha-dat", "Giấy tờ nhà đất", "Land and housing papers"),
    ("ban-ve", "Bản vẽ", "Drawings"),
    ("xac-nhan-noi-cu-tru", "Xác nhận nơi cư trú", "Proof of residence"),
)
FIRST_DAY = "2025-07-01"
SECOND_VERSION_DAY = "2026-01-01"


def generate_procedures(count: int, seed: int = 2019) -> list[Procedure]:
    """`count` synthetic procedures (about one in ten with a second version)."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)
    procedures: list[Procedure] = []
    for number in range(1, count + 1):
        procedures += [Procedure.model_validate(data) for data in _versions(rng, number)]
    return procedures


def _versions(rng: random.Random, number: int) -> list[dict[str, Any]]:
    first = _procedure(rng, number)
    if rng.random() >= 0.1:
        return [first]
    second = {**first, "version": 2, "effective_from": SECOND_VERSION_DAY}
    second["time_limit"] = {**first["time_limit"], "value": first["time_limit"]["value"] + 1}
    return [{**first, "effective_to": SECOND_VERSION_DAY}, second]


def _procedure(rng: random.Random, number: int) -> dict[str, Any]:
    field_id, field_vi, field_en = rng.choice(FIELDS)
    options = (
        [f"option-{k}" for k in range(1, rng.randint(3, 4) + 1)] if rng.random() < 0.05 else []
    )
    data: dict[str, Any] = {
        "code": f"9.{number:06d}",
        "version": 1,
        "effective_from": FIRST_DAY,
        "name": {"vi": f"Thủ tục tổng hợp số {number}", "en": f"Synthetic procedure {number}"},
        "field": {"id": field_id, "vi": field_vi, "en": field_en},
        "competent_level": rng.choice(("commune", "commune", "commune", "province")),
        "documents": _documents(rng, options),
        "fees": [_fee(rng)] if rng.random() < 0.5 else [],
        "time_limit": _time_limit(rng),
        "online_level": rng.choice(("toan_trinh", "mot_phan")),
        "result_documents": [{"type": "ket-qua", "name": {"vi": "Kết quả", "en": "Result"}}],
        "workflow": {"steps": _steps(rng, options)},
        "note": "synthetic",
    }
    if options:
        data["sub_procedures"] = {
            "min": 2,
            "max": len(options),
            "options": [
                {"id": option, "name": {"vi": f"Thủ tục {option}", "en": f"Procedure {option}"}}
                for option in options
            ],
        }
    return data


def _documents(rng: random.Random, options: list[str]) -> list[dict[str, Any]]:
    chosen = rng.sample(DOCUMENTS, rng.randint(2, len(DOCUMENTS)))
    documents: list[dict[str, Any]] = [
        {"type": kind, "name": {"vi": vi, "en": en}, "mandatory": rng.random() < 0.8}
        for kind, vi, en in chosen
    ]
    documents.append(
        {
            "type": "van-ban-uy-quyen",
            "name": {"vi": "Văn bản ủy quyền", "en": "Power of attorney"},
            "mandatory": True,
            "condition": {"form_field": "submitted_by_proxy"},
        }
    )
    for option in options:
        documents.append(
            {
                "type": f"to-khai-{option}",
                "name": {"vi": f"Tờ khai {option}", "en": f"Form {option}"},
                "mandatory": True,
                "condition": {"sub_procedure": option},
            }
        )
    return documents


def _fee(rng: random.Random) -> dict[str, Any]:
    amount = rng.choice((0, 20_000, 50_000, 100_000, 500_000))
    return {"id": "le-phi", "name": {"vi": "Lệ phí", "en": "Fee"}, "amount_vnd": amount}


def _time_limit(rng: random.Random) -> dict[str, Any]:
    draw = rng.random()
    if draw < 0.8:
        unit, value = "working_days", rng.randint(0, 20)
    elif draw < 0.9:
        unit, value = "calendar_days", rng.randint(5, 30)
    else:
        unit, value = "working_hours", rng.randint(4, 16)
    return {"value": value, "unit": unit, "cutoff_applies": rng.random() < 0.7}


def _steps(rng: random.Random, options: list[str]) -> list[dict[str, Any]]:
    """Layers of parallel steps between receipt and return, shares scaled to the longest path."""
    steps: list[dict[str, Any]] = [_step("receive", "ward.one-stop", [], 0)]
    previous = ["receive"]
    for layer in range(1, rng.randint(1, 3) + 1):
        current = [f"step-{layer}-{k}" for k in range(1, rng.randint(1, 3) + 1)]
        for step_id in current:
            after = rng.sample(previous, rng.randint(1, len(previous)))
            steps.append(_step(step_id, rng.choice(SYNTHETIC_ROLES), after, rng.randint(1, 5)))
        previous = current
    for option in options:
        step = _step(f"do-{option}", rng.choice(SYNTHETIC_ROLES), ["receive"], rng.randint(1, 5))
        steps.append({**step, "sub_procedure": option})
        previous.append(f"do-{option}")
    steps.append(_step("return-result", "ward.one-stop", previous, 1))
    return _scaled(steps)


def _step(step_id: str, role: str, after: list[str], weight: int) -> dict[str, Any]:
    name = {"vi": f"Bước {step_id}", "en": f"Step {step_id}"}
    return {"id": step_id, "name": name, "role": role, "after": after, "weight": weight}


def _scaled(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn weights into shares so that the heaviest path sums to exactly 1."""
    longest: dict[str, int] = {}
    for step in steps:  # steps are listed after their dependencies
        longest[step["id"]] = step["weight"] + max((longest[a] for a in step["after"]), default=0)
    total = max(longest.values())
    scaled = []
    for step in steps:
        weight = step.pop("weight")
        scaled.append({**step, "share": str(Fraction(weight, total))})
    return scaled
