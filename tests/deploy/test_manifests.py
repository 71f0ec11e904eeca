"""The deployment files describe the services that exist, and Kubernetes accepts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lienthong.runtime import discover
from lienthong.runtime.host import STARTUP_ATTEMPT_S
from lienthong.settings import Settings
from tests.conftest import ROOT

BASE = ROOT / "deploy/k8s/base"
KUBERNETES = "1.33"
STARTUP_WAIT_S = Settings.model_fields["startup_wait_s"].default


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def manifests() -> list[tuple[str, dict[str, Any]]]:
    kustomization = documents(BASE / "kustomization.yaml")[0]
    return [
        (f"{name}#{i}", document)
        for name in kustomization["resources"]
        for i, document in enumerate(documents(BASE / name))
    ]


@pytest.mark.parametrize(("name", "manifest"), manifests(), ids=lambda v: str(v)[:40])
def test_every_manifest_validates_against_the_kubernetes_schema(
    name: str, manifest: dict[str, Any]
) -> None:
    manifest = yaml.safe_load(yaml.safe_dump(manifest).replace("image: lienthong\n", "image: x\n"))
    kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_every_installed_service_is_deployed_by_k8s_and_compose() -> None:
    services = set(discover())
    deployments = {m["metadata"]["name"]: m for _, m in manifests() if m["kind"] == "Deployment"}
    assert set(deployments) == services
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # /healthz answers only once start-up is over, and start-up may wait for Kafka and the
        # store: the startup probe must outlast that wait, or Kubernetes restarts it mid-wait.
        probe = container["startupProbe"]
        patience = probe["periodSeconds"] * probe["failureThreshold"]
        assert patience > STARTUP_WAIT_S + STARTUP_ATTEMPT_S + 20, name  # + 20 s to import
    compose = documents(ROOT / "docker-compose.yml")[0]["services"]
    assert {n for n, s in compose.items() if s.get("command", [None])[0] == "run"} == services
    for name in services:
        assert compose[name]["command"] == ["run", name]
