"""Synthetic dossiers and the load they make: an open-loop offered rate, bounded concurrency.

What to submit comes from the intake's own catalogue API (`GET /v1/procedures`, then each
procedure's required documents), so a procedure added to the catalogue is benched without a
change here. Applicants are fictitious (fake names, `example.vn` addresses) and spread over
every ward in force.

Each submission has one `Idempotency-Key` for all its attempts: with `retry_for_s`, a citizen
whose submission fails (no answer, a 5xx, 409 "still being handled", 429) tries again with the
same key, as the HTML form and any well-behaved client does, until answered or out of patience.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from lienthong.domain import default_catalogue, default_timeline

ONLINE_LEVELS = ("toan_trinh", "mot_phan")  # both may be submitted online (Decree 42/2022)
SUBMISSION_TIMEOUT_S = 60.0
RETRY_WAIT_S = (0.5, 5.0)  # first and longest wait between attempts (or the server's Retry-After)
ANSWERED = frozenset({200, 201, 422})  # a final answer: received, incomplete/refused, malformed

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi")
_MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thành", "Thu")
_GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Khoa", "Lan", "Phúc", "Quân", "Vy")


@dataclass(frozen=True)
class Template:
    """How to submit one procedure completely: its documents and sub-procedure choice."""

    procedure: str
    online_level: str
    documents: tuple[str, ...]
    sub_procedures: tuple[str, ...]


@dataclass
class Submission:
    """One dossier the bench offers, and what became of its POST."""

    index: int
    template: Template
    ward: str
    scheduled_at: float = 0.0  # wall clock: when the open-loop schedule wanted it sent
    started_at: float = 0.0  # when the request left (after waiting for a concurrency slot)
    answered_at: float = 0.0
    status_code: int = 0
    outcome: str = ""  # received, supplement_requested, rejected, or an error
    dossier_id: str = ""
    code: str = ""
    secret: str = ""
    key: str = field(default_factory=lambda: f"bench-{uuid.uuid4()}")  # Idempotency-Key
    failed_attempts: list[str] = field(default_factory=list)  # e.g. "error:ReadTimeout", "http:503"

    @property
    def latency_s(self) -> float:
        return self.answered_at - self.started_at

    @property
    def latency_from_schedule_s(self) -> float:
        return self.answered_at - self.scheduled_at


def _template(detail: dict[str, Any]) -> Template:
    """Every unconditional document, plus those the chosen sub-procedures require; the
    largest allowed choice of sub-procedures (the heaviest inter-linked dossier)."""
    choice = detail.get("sub_procedures") or {}
    options = [option["id"] for option in choice.get("options", [])]
    chosen = tuple(options[: choice.get("max", 0)]) if choice else ()
    documents = []
    for document in detail["required_documents"]:
        condition = document.get("condition")
        chosen_for = condition and condition.startswith("sub_procedures includes ")
        if condition is None or (chosen_for and condition.split()[-1] in chosen):
            documents.append(document["type"])
    return Template(detail["code"], detail["online_level"], tuple(documents), chosen)


def online_procedures(intake_url: str, only: Sequence[str] = ()) -> list[Template]:
    """The procedures in force that can be submitted online (or exactly `only`)."""
    with httpx.Client(base_url=intake_url, timeout=30) as client:
        listed = client.get("/v1/procedures").raise_for_status().json()
        codes = [p["code"] for p in listed if p["online_level"] in ONLINE_LEVELS]
        if only:
            unknown = sorted(set(only) - set(codes))
            if unknown:
                raise ValueError(f"not in force or not online: {unknown}; online: {codes}")
            codes = list(only)
        return [
            _template(client.get(f"/v1/procedures/{code}").raise_for_status().json())
            for code in codes
        ]


def catalogued_online(at: datetime | None = None) -> list[str]:
    """The codes of the procedures in force that can be submitted online, read from the
    shipped catalogue itself (not the intake's API), for checking what a load offered."""
    procedures = default_catalogue().in_force(at or datetime.now(UTC))
    return sorted(p.code for p in procedures if p.online_level in ONLINE_LEVELS)


def wards_in_force() -> list[str]:
    now = datetime.now(UTC)
    return sorted(u.code for u in default_timeline().units_in_force(now) if u.is_ward_level)


def plan(
    templates: Sequence[Template], wards: Sequence[str], count: int, offset: int = 0
) -> list[Submission]:
    """`count` submissions cycling through the procedures and (independently) the wards."""
    procedures = itertools.cycle(templates)
    turn = offset % len(wards)
    places = itertools.cycle([*wards[turn:], *wards[:turn]])
    return [Submission(offset + i, next(procedures), next(places)) for i in range(count)]


def _pdf(text: str) -> str:
    return base64.b64encode(b"%PDF-1.4\n% bench document\n" + text.encode()).decode()


def contact_channel(index: int) -> str:
    """How the applicant of submission `index` asked to be told: one in four by email, the
    others by SMS (every applicant gives both a phone number and an email address)."""
    return "sms" if index % 4 else "email"


def body(submission: Submission) -> dict[str, Any]:
    i, template = submission.index, submission.template
    name = f"{_FAMILY[i % 8]} {_MIDDLE[i // 8 % 6]} {_GIVEN[i // 48 % 10]}"
    return {
        "procedure": template.procedure,
        "channel": "online",
        "applicant": {
            "full_name": name,
            "id_number": f"{79_099_000_000 + i:012d}",
            "phone": f"09{i % 100_000_000:08d}",
            "email": f"bench.{i}@example.vn",
            "ward_code": submission.ward,
            "contact_channel": contact_channel(i),
        },
        "form": {},
        "documents": [
            {"type": t, "filename": f"{t}.pdf", "content_base64": _pdf(f"{t} {i}")}
            for t in template.documents
        ],
        "sub_procedures": list(template.sub_procedures),
    }


def _retry_after(response: httpx.Response | None, attempt: int) -> float:
    first, longest = RETRY_WAIT_S
    try:
        asked = float(response.headers.get("Retry-After", "")) if response is not None else None
    except ValueError:
        asked = None
    return min(longest, asked if asked is not None else first * 2**attempt)


async def _attempt(
    client: httpx.AsyncClient, submission: Submission, payload: dict[str, Any]
) -> httpx.Response | None:
    headers = {"Idempotency-Key": submission.key}
    try:
        response = await client.post("/v1/dossiers", json=payload, headers=headers)
    except httpx.HTTPError as exc:
        submission.outcome = f"error:{type(exc).__name__}"
        return None
    submission.outcome = f"http:{response.status_code}"
    return response


async def _submit(client: httpx.AsyncClient, submission: Submission, retry_for_s: float) -> None:
    payload = body(submission)
    submission.started_at = time.time()
    give_up = time.monotonic() + retry_for_s
    response = await _attempt(client, submission, payload)
    while (response is None or response.status_code not in ANSWERED) and (
        time.monotonic() < give_up
    ):
        submission.failed_attempts.append(submission.outcome)
        await asyncio.sleep(_retry_after(response, len(submission.failed_attempts) - 1))
        response = await _attempt(client, submission, payload)
    submission.answered_at = time.time()
    if response is None:
        return
    submission.status_code = response.status_code
    answer = response.json() if response.headers.get("content-type", "").endswith("json") else {}
    submission.outcome = str(answer.get("status") or f"http:{response.status_code}")
    submission.dossier_id = str(answer.get("dossier_id", ""))
    submission.code = str(answer.get("code", ""))
    submission.secret = str(answer.get("tracking_secret", ""))


async def offer(
    url: str,
    submissions: Sequence[Submission],
    rate: float,
    concurrency: int,
    on_answer: Callable[[Submission], None] = lambda _s: None,
    retry_for_s: float = 0.0,
) -> None:
    """Submit on an open-loop schedule (`rate` per second, 0 = as fast as the slots allow)
    with at most `concurrency` submissions in flight (each retried for up to `retry_for_s`)."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(SUBMISSION_TIMEOUT_S)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        start_mono, start_wall = time.monotonic(), time.time()

        async def one(position: int, submission: Submission) -> None:
            delay = position / rate if rate > 0 else 0.0
            await asyncio.sleep(max(0.0, start_mono + delay - time.monotonic()))
            submission.scheduled_at = start_wall + delay
            async with gate:
                await _submit(client, submission, retry_for_s)
            on_answer(submission)

        await asyncio.gather(*(one(k, s) for k, s in enumerate(submissions)))
