"""The blob-store adapters and the SigV4 signing of the S3 adapter (AWS test vectors)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from lienthong_intake.blobs import BlobNotFound, FileBlobStore, MemoryBlobStore
from lienthong_intake.blobs.s3 import S3BlobStore
from lienthong_intake.blobs.sigv4 import EMPTY_SHA256, Credentials, authorization, signed_headers

CONTENT = b"%PDF-1.4 scanned birth certificate"
KEY = hashlib.sha256(CONTENT).hexdigest()


def test_sigv4_matches_the_aws_get_vanilla_vector() -> None:
    credentials = Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"
    )
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    at = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    value = authorization(
        credentials, "GET", "https://example.amazonaws.com/", headers, EMPTY_SHA256, at
    )
    assert value == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_sigv4_matches_the_s3_get_object_example() -> None:
    credentials = Credentials(
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"
    )
    headers = signed_headers(
        credentials,
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        EMPTY_SHA256,
        datetime(2013, 5, 24, tzinfo=UTC),
        {"range": "bytes=0-9"},
    )
    assert headers["authorization"].endswith(
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


async def test_the_filesystem_store_keeps_blobs_by_sha256(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    assert not await store.exists(KEY)
    await store.put(KEY, CONTENT, "application/pdf")
    await store.put(KEY, CONTENT, "application/pdf")  # idempotent
    assert await store.get(KEY) == CONTENT
    assert (tmp_path / KEY[:2] / KEY).read_bytes() == CONTENT
    with pytest.raises(BlobNotFound):
        await store.get("0" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        await store.put("../../etc/passwd", CONTENT, "application/pdf")


async def test_the_memory_store_behaves_like_the_filesystem_one() -> None:
    store = MemoryBlobStore()
    await store.put(KEY, CONTENT, "application/pdf")
    assert await store.exists(KEY)
    assert await store.get(KEY) == CONTENT
    with pytest.raises(BlobNotFound):
        await store.get("1" * 64)


class FakeS3:
    """A tiny S3 endpoint: objects by path; refuses requests without a SigV4 signature."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 Credential=AK/"):
            return httpx.Response(403)
        if request.headers["x-amz-content-sha256"] != hashlib.sha256(request.content).hexdigest():
            return httpx.Response(400)
        path = request.url.path
        if request.method == "PUT":
            self.objects[path] = request.content
            return httpx.Response(200)
        if path not in self.objects:
            return httpx.Response(404)
        return httpx.Response(200, content=b"" if request.method == "HEAD" else self.objects[path])


async def test_the_s3_store_puts_gets_and_heads_signed_objects() -> None:
    fake = FakeS3()
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    store = S3BlobStore(
        "https://s3.example.vn", "dossiers", Credentials("AK", "SK", "ap-southeast-1"), client
    )
    assert not await store.exists(KEY)
    await store.put(KEY, CONTENT, "application/pdf")
    assert list(fake.objects) == [f"/dossiers/dossier-documents/{KEY}"]
    assert await store.exists(KEY)
    assert await store.get(KEY) == CONTENT
    with pytest.raises(BlobNotFound):
        await store.get("2" * 64)
