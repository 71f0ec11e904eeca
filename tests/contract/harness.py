"""schemathesis against one service's OpenAPI document, in the embedded host.

Three kinds of run, all validated by schemathesis's checks (no 5xx; status code, content type,
headers and body as documented; invalid requests refused with a 4xx):

* `fuzz`: every operation of the service, generated requests (valid and invalid), with the
  credentials `credentials(case)` chooses for each;
* `stateful`: chains of operations along OpenAPI links (submit → track), where the API itself
  hands out the ids the next call needs;
* `exercise`: hand-written requests on seeded state (a known dossier code, a task in an
  agency's inbox), so that the 2xx bodies generated requests rarely reach are validated too.

Each service runs alone in an embedded host (in-process bus, in-memory store) behind a real
HTTP server (`tests.contract.served`): the contract is the HTTP layer's, and the embedded host is
the fastest honest way to serve it. schemathesis's requests are blocking: a run goes to a worker
thread (`asyncio.to_thread`) while the server answers on the test's event loop.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import CheckFunction, Response
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema

from lienthong.security import mint_token
from lienthong.settings import Settings

# The kernel's operational routes (health, metrics) are the same in every service: tested once.
KERNEL_TAG = "operations"

Case = schemathesis.Case[Any]
Credentials = Callable[[Case], Mapping[str, str]]


def no_credentials(_case: Case) -> Mapping[str, str]:
    return {}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def staff_token(settings: Settings, role: str = "supervisor", unit: str | None = None) -> str:
    return mint_token(settings, role=role, unit=unit, subject=f"contract:{role}")


@dataclass(frozen=True)
class Link:
    """An OpenAPI link added for the stateful run: `target` takes `parameters` (runtime
    expressions such as `$response.body#/code`) from a `status` answer of `source`."""

    name: str
    source: tuple[str, str]  # (method, path)
    status: int
    target: tuple[str, str]
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, Any] | None = None


def load_schema(
    app: FastAPI, base_url: str, *, kernel: bool = False, links: Iterable[Link] = ()
) -> BaseSchema:
    """The app's own OpenAPI document (as served on /openapi.json), with `links` added, for
    the server at `base_url`; the kernel's operational routes only when `kernel`."""
    document = copy.deepcopy(app.openapi())
    for link in links:
        _add_link(document, link)
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=base_url, request_timeout=30)
    # A server-sent event stream never ends: its first event shows what it sends.
    schema.config.max_stream_events = 1
    if kernel:
        return schema.include(tag=KERNEL_TAG)
    return schema.exclude(tag=KERNEL_TAG)


def _add_link(document: dict[str, Any], link: Link) -> None:
    target_method, target_path = link.target
    target = document["paths"][target_path][target_method.lower()]
    source_method, source_path = link.source
    source = document["paths"][source_path][source_method.lower()]
    definition: dict[str, Any] = {"operationId": target["operationId"]}
    if link.parameters:
        definition["parameters"] = link.parameters
    if link.request_body is not None:
        definition["requestBody"] = link.request_body
    response = source["responses"][str(link.status)]
    response.setdefault("links", {})[link.name] = definition


def all_operations(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the document; one schemathesis cannot read fails the test."""
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the document has an operation that cannot be read: {result}")
        found.append(result.ok())
    return found


def mix_bodies(schema: BaseSchema, method: str, path: str, bodies: st.SearchStrategy[Any]) -> None:
    """Generated bodies of one operation, mixed with `bodies` three to one: realistic ones
    that reach what generated ones almost never do."""
    register: Any = schema.hook("flatmap_body")

    def flatmap_body(_context: Any, body: Any) -> st.SearchStrategy[Any]:
        return st.one_of(st.just(body), bodies, bodies, bodies)

    register.apply_to(method=method, path=path)(flatmap_body)


def operations(answered: Counter[tuple[str, int]]) -> set[str]:
    """The operations that answered at all."""
    return {label for label, _status in answered}


def fuzz(
    schema: BaseSchema,
    examples: int,
    credentials: Credentials = no_credentials,
    excluded_checks: Sequence[CheckFunction] = (),
) -> Counter[tuple[str, int]]:
    """Generated requests against every operation of `schema`; returns how often each
    operation answered each status. Failures of every operation are raised together."""
    failures: list[str] = []
    answered: Counter[tuple[str, int]] = Counter()
    for operation in all_operations(schema):

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests at every run: a failure is reproducible
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Case) -> None:
            response = case.call_and_validate(
                headers=dict(credentials(case)), excluded_checks=list(excluded_checks)
            )
            answered[case.operation.label, response.status_code] += 1

        try:
            check()
        except (Exception, FailureGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    return answered


def stateful(
    schema: BaseSchema,
    steps: int,
    scenarios: int,
    credentials: Credentials = no_credentials,
    excluded_checks: Sequence[CheckFunction] = (),
) -> Counter[tuple[str, int]]:
    """Chains of linked operations (`scenarios` runs of at most `steps` calls each); returns
    how often each operation answered each status."""
    machine = schema.as_state_machine()
    answered: Counter[tuple[str, int]] = Counter()

    class WithCredentials(machine):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": dict(credentials(case))}

        def after_call(self, response: Response, case: Case) -> None:
            super().after_call(response, case)
            answered[case.operation.label, response.status_code] += 1

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                excluded_checks=list(excluded_checks),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    WithCredentials.run(
        settings=settings(
            max_examples=scenarios,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    return answered


def exercise(
    schema: BaseSchema,
    method: str,
    path: str,
    *,
    path_parameters: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    expect: int | None = None,
) -> Any:
    """One hand-written request, validated like a generated one; returns the response."""
    operation = schema[path][method.upper()]
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/json"
    case = operation.Case(path_parameters=path_parameters or {}, query=query or {}, **kwargs)
    response = case.call_and_validate(headers=dict(headers or {}))
    if expect is not None:
        assert response.status_code == expect, (response.status_code, response.text[:500])
    return response
