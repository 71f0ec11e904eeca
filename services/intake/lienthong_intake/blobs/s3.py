"""An S3-compatible blob store over the S3 REST API (path-style URLs, SigV4 headers).

Works with AWS S3, MinIO, Ceph RGW and the like. Kept small on purpose: PUT, GET and HEAD of
one object, the bucket created by the operator beforehand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from lienthong_intake.blobs.port import BlobNotFound, checked
from lienthong_intake.blobs.sigv4 import EMPTY_SHA256, Credentials, signed_headers


def _utcnow() -> datetime:
    return datetime.now(UTC)


class S3BlobStore:
    def __init__(
        self,
        endpoint: str,
        bucket: str,
        credentials: Credentials,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = _utcnow,
        prefix: str = "dossier-documents/",
    ) -> None:
        self._base = f"{endpoint.rstrip('/')}/{bucket}/{prefix}"
        self._credentials = credentials
        self._client = client or httpx.AsyncClient(timeout=30.0)
        self._clock = clock

    def url(self, key: str) -> str:
        return self._base + checked(key)

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        digest = hashlib.sha256(content).hexdigest()
        extra = {"content-type": content_type}
        response = await self._send("PUT", key, digest, content, extra)
        response.raise_for_status()

    async def get(self, key: str) -> bytes:
        response = await self._send("GET", key, EMPTY_SHA256)
        if response.status_code == 404:
            raise BlobNotFound(key)
        response.raise_for_status()
        return response.content

    async def exists(self, key: str) -> bool:
        response = await self._send("HEAD", key, EMPTY_SHA256)
        if response.status_code == 404:
            return False
        response.raise_for_status()
        return True

    async def _send(
        self,
        method: str,
        key: str,
        payload_sha256: str,
        content: bytes = b"",
        extra: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = self.url(key)
        headers = signed_headers(
            self._credentials, method, url, payload_sha256, self._clock(), extra
        )
        return await self._client.request(method, url, headers=headers, content=content or None)
