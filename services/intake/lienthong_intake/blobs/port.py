"""The blob-store port: put, get, exists, keyed by the content's SHA-256 (hex).

Content-addressed keys make a put idempotent and a blob written before a failure harmless
(an orphan nobody references, never a half-written dossier). The filesystem adapter is the
default on real infrastructure, the in-memory one serves the embedded mode; `s3.py` speaks the
S3 REST API for production object stores.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(Exception):
    pass


class BlobStore(Protocol):
    async def put(self, key: str, content: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The blob's bytes; raises BlobNotFound."""

    async def exists(self, key: str) -> bool: ...


def checked(key: str) -> str:
    """Keys are SHA-256 hex digests: nothing else reaches a path or a URL."""
    if not KEY.match(key):
        raise ValueError("a blob key is a SHA-256 hex digest")
    return key


class MemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        self._blobs[checked(key)] = content

    async def get(self, key: str) -> bytes:
        try:
            return self._blobs[checked(key)]
        except KeyError:
            raise BlobNotFound(key) from None

    async def exists(self, key: str) -> bool:
        return checked(key) in self._blobs


class FileBlobStore:
    """`<root>/<2 hex>/<64 hex>`; written to a temporary file then renamed (atomic)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        key = checked(key)
        return self._root / key[:2] / key

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), content)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
