"""Structured JSON logs (structlog) that carry the trace and never personal data.

Personal data is masked by a processor that runs on every event dictionary, whatever the
caller wrote: values of keys that name personal data (name, phone, email, id number, …)
are replaced whole, and any string anywhere is scrubbed of 12-digit citizen ID numbers,
Vietnamese phone numbers and email addresses. Callers still should not log such data; the
processor is the net under them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from lienthong.telemetry import trace_ids

_PERSONAL_KEYS = frozenset(
    {
        "full_name",
        "name_of_applicant",
        "applicant_name",
        "phone",
        "phone_number",
        "email",
        "id_number",
        "citizen_id",
        "cccd",
        "address",
        "date_of_birth",
    }
)
_ID_NUMBER = re.compile(r"(?<!\d)\d{12}(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[\s.-]?\d){9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

MASK = "***"


def scrub(text: str) -> str:
    """Mask ID numbers, phone numbers and emails inside free text."""
    text = _EMAIL.sub("***@***", text)
    text = _ID_NUMBER.sub("************", text)
    return _PHONE.sub("**********", text)


def mask_personal(value: Any) -> Any:
    """A copy of a JSON-like value with personal data masked: values of personal keys
    replaced whole, strings scrubbed. For whatever shows records to people (logs, operator
    tools), so that the rule is written once."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: MASK if k in _PERSONAL_KEYS else mask_personal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal(v) for v in value]
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = MASK if key in _PERSONAL_KEYS else mask_personal(value)
    return event_dict


def add_trace_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    ids = trace_ids()
    if ids is not None:
        event_dict["trace_id"], event_dict["span_id"] = ids
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # Looked up at each logger creation, not bound once: whoever replaces sys.stderr (a test
    # runner capturing output, a supervisor reopening it) keeps receiving the logs.
    return structlog.PrintLogger(sys.stderr)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The standard library's records, to whatever sys.stderr is at the time of writing."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        return None


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and route the standard library's logs through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # libraries (aiokafka, uvicorn) stay quiet unless failing
