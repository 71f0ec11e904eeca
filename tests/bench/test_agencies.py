"""The simulated agencies' recorder (`bench/_agencies.py`) writes a call down as soon as it is
received, so a call the system acted on but never answered is still seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _agencies import Message, recorded, recorded_systems


async def test_a_call_is_written_when_received_and_again_when_answered(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"

    async def system(scope: Message, receive: object, send: object) -> None:
        raise RuntimeError("the system fell over before answering")

    app = recorded(system, "civil-status", calls)
    body = json.dumps({"ma_cong_viec": "t1", "ho_so": "C-1"}).encode()

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        pass

    scope = {"type": "http", "headers": [(b"idempotency-key", b"k1")]}
    with pytest.raises(RuntimeError):
        await app(scope, receive, send)
    rows = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [(r["phase"], r["task"], r["key"], r["dossier"]) for r in rows] == [
        ("received", "t1", "k1", "C-1")
    ]


def test_every_agency_with_a_simulated_system_is_recorded() -> None:
    systems = recorded_systems()
    assert systems["civil-status"] == "civil-status"
    assert systems["tax"] == "departments"
    assert systems["ward-inbox"] is None
