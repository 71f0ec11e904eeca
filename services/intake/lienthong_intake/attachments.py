"""Use case: upload a digitised document (số hóa hồ sơ) ahead of a submission.

The file's type is decided by its first bytes (PDF, JPEG, PNG), not by what the client
claims; its size is bounded. The blob is stored first, under its SHA-256, then its metadata:
a failure in between leaves an unreferenced blob, never an attachment without its file.
Submissions then reference the upload as `{type, attachment_id}`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from lienthong.http import Problem
from lienthong.store import Collection
from lienthong_intake.blobs import BlobStore
from lienthong_intake.models import AttachmentOut, DocumentIn, InlineDocument, UploadedDocument

log = structlog.get_logger("lienthong.intake")

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes; None when it is none we accept."""
    return next((media for magic, media in SIGNATURES if head.startswith(magic)), None)


@dataclass(frozen=True)
class Attachments:
    blobs: BlobStore
    collection: Collection
    max_bytes: int

    async def upload(self, content: bytes, filename: str, now: str) -> AttachmentOut:
        if not content:
            raise _problem(422, "Empty file", "the uploaded file is empty", "attachment-empty")
        if len(content) > self.max_bytes:
            detail = f"the file is larger than {self.max_bytes} bytes"
            raise _problem(413, "File too large", detail, "attachment-too-large")
        media_type = sniff_type(content)
        if media_type is None:
            detail = "only PDF, JPEG and PNG files are accepted"
            raise _problem(415, "Unsupported file type", detail, "attachment-type")
        digest = hashlib.sha256(content).hexdigest()
        await self.blobs.put(digest, content, media_type)
        attachment = AttachmentOut(
            attachment_id=f"att-{uuid.uuid4().hex}",
            sha256=digest,
            size=len(content),
            content_type=media_type,
            filename=filename[:255] or "document",
        )
        await self.collection.insert({"_id": attachment.attachment_id, **_stored(attachment, now)})
        log.info("attachment_uploaded", attachment_id=attachment.attachment_id, size=len(content))
        return attachment

    async def digests(self, documents: Sequence[DocumentIn]) -> dict[str, str]:
        """Document type → SHA-256; inline files are stored too; unknown uploads → 422."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        for document in documents:
            if isinstance(document, UploadedDocument):
                stored = await self.collection.get(document.attachment_id)
                if stored is None:
                    unknown.append(document.attachment_id)
                else:
                    found[document.type] = str(stored["sha256"])
            else:
                found[document.type] = await self._store_inline(document)
        if unknown:
            raise _problem(
                422,
                "Unknown attachment",
                "no uploaded file has this attachment_id",
                "unknown-attachment",
                attachment_ids=unknown,
            )
        return found

    async def _store_inline(self, document: InlineDocument) -> str:
        content = document.content()
        if len(content) > self.max_bytes:  # an upload's limit; a field of the body: 422
            detail = f"document {document.type!r} is larger than {self.max_bytes} bytes"
            raise _problem(422, "File too large", detail, "attachment-too-large")
        digest = hashlib.sha256(content).hexdigest()
        await self.blobs.put(digest, content, sniff_type(content) or "application/octet-stream")
        return digest


def _stored(attachment: AttachmentOut, now: str) -> dict[str, Any]:
    return {**attachment.model_dump(exclude={"attachment_id"}), "uploaded_at": now}


def _problem(status: int, title: str, detail: str, kind: str, **extra: Any) -> Problem:
    return Problem(status, title, detail, type=f"urn:lienthong:problem:{kind}", **extra)
