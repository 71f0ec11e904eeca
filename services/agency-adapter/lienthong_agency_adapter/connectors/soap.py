"""SOAP/XML connector for legacy systems: SOAP 1.1 envelope built and read with the standard
library; the idempotency key travels in a SOAP header and in the HTTP header.

    connector: soap
    endpoint: http://cutru.example/ws
    mapping:
      namespace: urn:cutru:v1
      operation: TiepNhanHoSo            # body element; SOAPAction defaults to ns#operation
      request: {MaHoSo: "{dossier_code}", MaCongViec: "{task_id}"}
      response: {reference: SoBienNhan, outcome: KetQua, ...}   # element paths, a/b/c
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from lienthong_agency_adapter.connectors.base import (
    BaseConnector,
    Delivery,
    MalformedAnswer,
    PermanentDeliveryError,
    Receipt,
    RetryableDeliveryError,
    raise_for_status,
)
from lienthong_agency_adapter.mapping import AnswerMapping, Lookup, render

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LIENTHONG_NS = "urn:lienthong:agency:v1"


def envelope(namespace: str, operation: str, fields: Mapping[str, Any], key: str) -> bytes:
    """A SOAP 1.1 request whose body element `operation` holds one child per field."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    header = ET.SubElement(root, f"{{{SOAP_ENV}}}Header")
    ET.SubElement(header, f"{{{LIENTHONG_NS}}}IdempotencyKey").text = key
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = ET.SubElement(body, f"{{{namespace}}}{operation}")
    for name, value in fields.items():
        ET.SubElement(call, f"{{{namespace}}}{name}").text = str(value)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_body(content: bytes) -> ET.Element:
    """The SOAP Body of a response; MalformedAnswer for anything that is not one."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise MalformedAnswer("the agency's XML declares a DTD or entities")
    try:
        root = ET.fromstring(content)  # noqa: S314 - no DTD/entities (checked above)
    except ET.ParseError:
        raise MalformedAnswer("the agency's answer is not XML") from None
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if local(root.tag) != "Envelope" or body is None:
        raise MalformedAnswer("the agency's answer is not a SOAP envelope")
    return body


def raise_for_fault(body: ET.Element) -> None:
    fault = body.find(f"{{{SOAP_ENV}}}Fault")
    if fault is None:
        return
    code = (fault.findtext("faultcode") or "").rsplit(":", 1)[-1]
    message = (fault.findtext("faultstring") or "")[:200]
    if code == "Server":
        raise RetryableDeliveryError(f"SOAP fault (Server): {message}")
    raise PermanentDeliveryError(f"SOAP fault ({code or 'unknown'}): {message}")


def xml_lookup(body: ET.Element) -> Lookup:
    """Element-path lookup by local names; the first step may be anywhere in the body."""

    def lookup(path: str) -> list[str]:
        first, *rest = path.split("/")
        nodes = [e for e in body.iter() if local(e.tag) == first]
        for part in rest:
            nodes = [child for node in nodes for child in node if local(child.tag) == part]
        return [(node.text or "").strip() for node in nodes if (node.text or "").strip()]

    return lookup


class SoapConnector(BaseConnector):
    kind = "soap"

    async def send(self, delivery: Delivery) -> Receipt:
        mapping = self.agency.mapping
        namespace, operation = str(mapping["namespace"]), str(mapping["operation"])
        fields = render(mapping.get("request") or delivery.fields(), delivery.fields())
        headers = {
            **self.headers(delivery),
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": str(mapping.get("soap_action", f"{namespace}#{operation}")),
        }
        response = await self.context.http.post(
            self.endpoint(),
            content=envelope(namespace, operation, fields, delivery.idempotency_key),
            headers=headers,
            timeout=self.agency.timeout_s,
        )
        if response.status_code >= 500 and b"Fault" in response.content:
            raise_for_fault(parse_body(response.content))
        raise_for_status(response)
        body = parse_body(response.content)
        raise_for_fault(body)
        return AnswerMapping.model_validate(mapping.get("response", {})).read(xml_lookup(body))
