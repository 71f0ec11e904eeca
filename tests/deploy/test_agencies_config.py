"""The Kubernetes agency adapter starts on the agencies file it is given: real endpoints (no
simulator, which it does not run), every agency routing assigns tasks to, secrets it can read;
the topics job creates the task topics of the same file."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from lienthong.domain.catalogue_loader import default_catalogue
from lienthong_agency_adapter.config import AgencyBook
from lienthong_routing.rules import agency_for
from tests.deploy.test_manifests import BASE, documents


def by_name(kind: str, name: str) -> dict[str, Any]:
    found = [
        d
        for path in BASE.glob("*.yaml")
        for d in documents(path)
        if d.get("kind") == kind and d.get("metadata", {}).get("name") == name
    ]
    assert len(found) == 1, f"{kind} {name}"
    return found[0]


@pytest.mark.parametrize(
    ("kind", "name"), [("Deployment", "agency-adapter"), ("Job", "lienthong-topics")]
)
def test_the_adapter_and_the_topics_job_read_the_agencies_config_map(kind: str, name: str) -> None:
    pod = by_name(kind, name)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "agencies")
    assert env["LIENTHONG_ADAPTER_AGENCIES_FILE"] == f"{mount['mountPath']}/agencies.yaml"
    volume = next(v for v in pod["volumes"] if v["name"] == "agencies")
    assert volume["configMap"]["name"] == "lienthong-agencies"


def test_the_agencies_file_serves_every_agency_with_real_endpoints_and_known_secrets() -> None:
    text = by_name("ConfigMap", "lienthong-agencies")["data"]["agencies.yaml"]
    book = AgencyBook.model_validate(yaml.safe_load(text))
    book.check_simulators(None)  # the adapter runs no simulators here
    assert {agency_for(role) for role in default_catalogue().roles()} <= {
        a.code for a in book.agencies
    }
    secret = by_name("Secret", "lienthong")["stringData"]
    references = [
        value[1:]
        for agency in book.agencies
        for value in (agency.outbound_token or "", *agency.hmac_secrets)
        if value.startswith("$")
    ]
    assert references, "the example shows how secrets are referenced"
    assert set(references) <= set(secret)
