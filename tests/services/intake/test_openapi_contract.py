"""schemathesis against the intake app's OpenAPI document (embedded host): whatever the
generated requests, no 5xx, and every response matches its documented status and schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lienthong.runtime.host import Host
from lienthong.settings import Settings

EXAMPLES = 250


def test_the_intake_api_honours_its_openapi_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_INTAKE_FORM_WAIT_S", "0")
    app = Host(Settings(), ["intake"]).app()
    # The intake's own operations; the kernel's operational routes are not this service's.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(tag="intake")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def check(case: schemathesis.Case[Any]) -> None:
        # Not "every schema-valid request is accepted": some 422s are decided beyond JSON
        # Schema (a file's first bytes, one file per document type, a reused Idempotency-Key).
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
