"""What `check_payload` calls poison (dead-lettered before any handler) and what it leaves to
the handler: the vocabulary is extended, not repurposed (DESIGN §2), so a newer publisher's
new value or new schema version must not fill every older consumer's dead-letter topic."""

from __future__ import annotations

from typing import Any

import pytest

from lienthong.bus.delivery import InvalidPayload, check_payload
from lienthong.events import Event, new_event, registration

SUBMITTED = {"procedure": "1.001193", "channel": "online", "ward_code": "26734"}


def submitted(schema_version: int = 1, **changes: Any) -> Event:
    data = {**SUBMITTED, **changes}
    return new_event(
        "dossier.submitted", "D1", data, source="/tests", schema_version=schema_version
    )


def test_a_payload_of_the_registered_schema_passes() -> None:
    check_payload(submitted())


@pytest.mark.parametrize(
    "changes",
    [
        {"channel": "kiosk"},  # a channel added by a newer publisher
        {
            "channel": "kiosk",
            "applicant": {
                "full_name": "An",
                "id_number": "0",
                "phone": "0",
                "email": "a@b.vn",
                "ward_code": "26734",
                "contact_channel": "zalo",
            },
        },
        {"filler": {"anything": True}},  # a field added by a newer publisher
    ],
)
def test_what_a_newer_publisher_may_add_is_left_to_the_handler(changes: dict[str, Any]) -> None:
    check_payload(submitted(**changes))


def test_a_newer_schema_version_is_not_checked_against_the_older_one() -> None:
    newer = registration("dossier.submitted").version + 1
    check_payload(submitted(newer, channel=5, ward_code=["moved"]))
    with pytest.raises(InvalidPayload):
        check_payload(submitted(newer - 1, channel=5, ward_code=["moved"]))


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"channel": 5}, "channel"),  # not a word at all: a wrong type, not a new word
        ({"channel": {"wrong": True}}, "channel"),
        ({"ward_code": ["26734"]}, "ward_code"),
        ({"channel": "kiosk", "ward_code": 26734}, "ward_code"),  # a new word, and a wrong type
    ],
)
def test_a_wrong_type_is_poison(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidPayload, match=why):
        check_payload(submitted(**changes))


def test_a_missing_required_field_is_poison() -> None:
    data = {name: value for name, value in SUBMITTED.items() if name != "channel"}
    event = new_event("dossier.submitted", "D1", data, source="/tests")
    with pytest.raises(InvalidPayload, match="channel"):
        check_payload(event)
