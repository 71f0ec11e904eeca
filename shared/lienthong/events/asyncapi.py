"""The AsyncAPI 3.0 document of every topic and message, generated from the registry.

Payload schemas come from the pydantic models (`$defs` hoisted into `components.schemas`);
headers describe the CloudEvents Kafka binding; the message key is the subject.
"""

from __future__ import annotations

import re
from typing import Any

from lienthong.events.registry import Registration, registrations

_PARAMETER = re.compile(r"\{(\w+)\}")

_TOPIC_DESCRIPTIONS = {
    "dossier.events": "Every lifecycle fact of every dossier, keyed by dossier id: each "
    "dossier's history is totally ordered within its partition.",
    "agency.tasks.{agency}": "One work queue per agency, keyed by task id; an agency's "
    "credentials can be limited to its own topic.",
    "operator.actions": "What operators did (a dead letter replayed or discarded): who, "
    "when, what and why, keyed by what they acted on (a dead letter's id).",
    "ops.health": "Health snapshots of service instances every few seconds (agency adapter: "
    "circuit, error rate, tasks waiting per agency; notify: sends, failures, failovers per "
    "provider), keyed by <service>/<instance id>; counts for the window since the instance's "
    "previous snapshot and since its start.",
    "dlq.{group}": "Dead letters of one consumer group: the original record with dlq.* "
    "headers saying why, from where, after how many attempts.",
}


def _channel_id(address: str) -> str:
    words = re.split(r"[.{}\-]+", address)
    return words[0] + "".join(w.capitalize() for w in words[1:] if w)


def _ce_headers(event_type: str, version: int) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_subject", "ce_time"],
        "properties": {
            "ce_id": {**text, "description": "event id; deterministic for derived events"},
            "ce_source": {**text, "description": "URI reference of the producing service"},
            "ce_type": {"type": "string", "const": event_type},
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_subject": {**text, "description": "the stream key (dossier/task/dead-letter id)"},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_causationid": {**text, "description": "id of the event this one reacts to"},
            "ce_traceparent": {**text, "description": "W3C trace context"},
            "ce_schemaversion": {"type": "string", "const": str(version)},
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


def _message(reg: Registration, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = reg.model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[reg.model.__name__] = schema
    return {
        "name": reg.event_type,
        "title": reg.model.__name__,
        "summary": reg.summary or reg.event_type,
        "contentType": "application/json",
        "headers": _ce_headers(reg.event_type, reg.version),
        "payload": {"$ref": f"#/components/schemas/{reg.model.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string"}, "bindingVersion": "0.5.0"}},
    }


def _dead_letter_message() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "A record a consumer group could not handle, kept for inspection and replay.",
        "headers": {
            "type": "object",
            "properties": {
                name: text
                for name in (
                    "dlq.error.type",
                    "dlq.error.message",
                    "dlq.original.topic",
                    "dlq.original.partition",
                    "dlq.original.offset",
                    "dlq.group",
                    "dlq.attempts",
                    "dlq.failed_at",
                )
            },
        },
        "payload": {"description": "the original record's value, unchanged"},
    }


def _channel(address: str, messages: dict[str, Any]) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address,
        "description": _TOPIC_DESCRIPTIONS.get(address, ""),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
    }
    parameters = _PARAMETER.findall(address)
    if parameters:
        channel["parameters"] = {p: {"description": f"the {p} code"} for p in parameters}
    return channel


def asyncapi_document(title: str = "LiênThông", version: str = "0.1.0") -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    by_topic: dict[str, dict[str, Any]] = {}
    for reg in registrations():
        message_id = reg.model.__name__
        messages[message_id] = _message(reg, schemas)
        by_topic.setdefault(reg.topic, {})[message_id] = messages[message_id]
    messages["DeadLetter"] = _dead_letter_message()
    by_topic["dlq.{group}"] = {"DeadLetter": messages["DeadLetter"]}

    channels = {_channel_id(t): _channel(t, m) for t, m in sorted(by_topic.items())}
    operations = {
        f"receive{cid[0].upper()}{cid[1:]}": {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{m}"} for m in ch["messages"]],
        }
        for cid, ch in channels.items()
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Topics and messages of LiênThông. Every message is a CloudEvent 1.0 "
            "in the Kafka protocol binding's binary content mode.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {"host": "localhost:9092", "protocol": "kafka", "description": "any broker"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
