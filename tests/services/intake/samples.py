"""Submissions used by the intake tests (fictitious people)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

WARD = "26506"  # Phường Vũng Tàu, in force since 1 July 2025
BIRTH_GROUP = "2.000986"
DEATH_GROUP = "1.006714"


def file(text: str) -> str:
    """A tiny PDF-looking file (documents must start like a PDF, JPEG or PNG)."""
    return base64.b64encode(b"%PDF-1.4\n" + text.encode()).decode()


def sha256_of(content_base64: str) -> str:
    return hashlib.sha256(base64.b64decode(content_base64)).hexdigest()


def birth_group(**changes: Any) -> dict[str, Any]:
    """A complete online submission of the birth group (parents married)."""
    body: dict[str, Any] = {
        "procedure": BIRTH_GROUP,
        "channel": "online",
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "id_number": "079090001234",
            "phone": "0901234567",
            "email": "an.nguyen@example.vn",
            "ward_code": WARD,
            "contact_channel": "sms",
        },
        "form": {"parents_married": True, "child_name": "Nguyễn Thị Bình"},
        "documents": [
            {"type": "to-khai-lien-thong", "filename": "to-khai.pdf", "content_base64": file("A")},
            {"type": "giay-chung-sinh", "filename": "chung-sinh.pdf", "content_base64": file("B")},
            {
                "type": "giay-chung-nhan-ket-hon",
                "filename": "ket-hon.pdf",
                "content_base64": file("C"),
            },
        ],
        "sub_procedures": [],
    }
    body.update(changes)
    return body


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}
