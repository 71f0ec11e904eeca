"""HTTP schemas of the intake API: what clients send, and what each outcome answers."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from lienthong.schemas.dossier import Channel, ContactChannel
from lienthong.schemas.text import (
    SINGLE_LINE_PATTERN,
    VISIBLE_PATTERN,
    checked_strings,
    nfc,
    not_blank,
    person_name,
    single_line,
    visible_text,
)
from lienthong.schemas.wards import ward_of_today

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 40
# The application form travels whole in `dossier.submitted`: an event is a fact, not a file
# (the kernel dead-letters records over 512 KiB), so the form is bounded well below that.
MAX_FORM_BYTES = 64 * 1024

DossierStatus = Literal[
    "newly_registered",
    "received",
    "not_received",
    "processing",
    "supplement_requested",
    "financial_obligation_requested",
    "withdrawn",
    "processing_stopped",
    "processing_done",
    "result_returned",
]
"""The 10 states of provincial systems that sync with the national portal (DOMAIN.md)."""


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Blank and surrounding spaces are checked by the validators after NFC, not by
# StringConstraints: a BeforeValidator ahead of them makes pydantic strip but not then count.
PersonName = Annotated[
    str,
    BeforeValidator(nfc),
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(person_name),
    Field(
        description="stored in Unicode NFC without surrounding spaces; at least one letter; "
        "invisible and control characters are refused",
        json_schema_extra={"pattern": SINGLE_LINE_PATTERN},
    ),
]


class ApplicantIn(Input):
    full_name: PersonName
    id_number: Annotated[str, StringConstraints(pattern=r"^\d{9}(\d{3})?$")] = Field(
        description="12-digit citizen identity number (9 digits for an old identity card)"
    )
    phone: Annotated[str, StringConstraints(pattern=r"^\+?\d{9,15}$")]
    email: Annotated[
        str,
        BeforeValidator(nfc),
        StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254),
        AfterValidator(single_line),
    ]
    ward_code: Annotated[
        str, StringConstraints(pattern=r"^\d{5}$"), AfterValidator(ward_of_today)
    ] = Field(
        description="5-digit code of the applicant's ward or commune as it is today (a ward "
        "abolished by a reorganisation is refused)"
    )
    contact_channel: ContactChannel = Field(description="preferred channel for messages")


ACCEPTED_SIGNATURES = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
AttachmentId = Annotated[str, StringConstraints(pattern=r"^att-[0-9a-f]{32}$")]
DocumentType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    Field(description="a document type of the procedure, as listed by GET /v1/procedures/{code}"),
]


class InlineDocument(Input):
    """A document sent inside the submission."""

    type: DocumentType
    filename: Annotated[
        str,
        BeforeValidator(nfc),
        StringConstraints(min_length=1, max_length=255),
        AfterValidator(not_blank),
        AfterValidator(single_line),
        Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN}),
    ]
    content_base64: str = Field(
        description=f"the file (PDF, JPEG or PNG), base64; at most {MAX_DOCUMENT_BYTES} bytes"
    )

    @field_validator("content_base64")
    @classmethod
    def _decodable(cls, value: str) -> str:
        if len(value) > (MAX_DOCUMENT_BYTES * 4) // 3 + 4:
            raise ValueError(f"document is larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            content = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("content_base64 is not valid base64") from exc
        if not content:
            raise ValueError("document is empty")
        if not content.startswith(ACCEPTED_SIGNATURES):
            raise ValueError("only PDF, JPEG and PNG files are accepted")
        return value

    def content(self) -> bytes:
        return base64.b64decode(self.content_base64)


class UploadedDocument(Input):
    """A document uploaded beforehand with POST /v1/attachments."""

    type: DocumentType
    attachment_id: AttachmentId


def _document_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "uploaded" if "attachment_id" in value else "inline"
    return "uploaded" if isinstance(value, UploadedDocument) else "inline"


DocumentIn = Annotated[
    Annotated[InlineDocument, Tag("inline")] | Annotated[UploadedDocument, Tag("uploaded")],
    Discriminator(_document_kind),
]
"""`{type, filename, content_base64}` or `{type, attachment_id}`."""


class AttachmentOut(BaseModel):
    """`201`: the uploaded file, to reference as `{type, attachment_id}` in a submission."""

    attachment_id: str
    sha256: str = Field(description="SHA-256 (hex) of the file, as recorded in the events")
    size: int
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    filename: str


class SubmissionIn(Input):
    """A dossier handed in online, at the one-stop counter or by post."""

    procedure: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="catalogue code, e.g. 2.000986"
    )
    channel: Channel
    applicant: ApplicantIn
    form: dict[str, Any] = Field(
        default_factory=dict,
        description=f"the application form (at most {MAX_FORM_BYTES} bytes as JSON; its text "
        "is stored in Unicode NFC, invisible characters are refused)",
    )
    documents: list[DocumentIn] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    sub_procedures: list[str] = Field(
        default_factory=list, max_length=10, description="chosen procedures (death group)"
    )

    @field_validator("form")
    @classmethod
    def _bounded_visible_form(cls, form: dict[str, Any]) -> dict[str, Any]:
        checked: dict[str, Any] = checked_strings(form)  # bounds its nesting too
        size = len(json.dumps(checked, ensure_ascii=False).encode())
        if size > MAX_FORM_BYTES:
            raise ValueError(f"the form is {size} bytes as JSON; at most {MAX_FORM_BYTES}")
        return checked

    @model_validator(mode="after")
    def _one_file_per_type(self) -> SubmissionIn:
        _check_one_file_per_type(self.documents)
        return self


def _check_one_file_per_type(documents: list[DocumentIn]) -> None:
    types = [document.type for document in documents]
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise ValueError(f"one file per document type; repeated: {repeated}")


class ReceivedOut(BaseModel):
    """`201`: complete and received (Giấy tiếp nhận hồ sơ và hẹn trả kết quả)."""

    status: Literal["received"] = "received"
    dossier_id: str
    code: str
    appointment_at: datetime
    tracking_secret: str = Field(description="give it with the code to track the dossier")
    receipt_url: str = Field(description="the printable receipt (HTML), secret included")


class MissingDocument(BaseModel):
    type: str
    name: str


class SupplementRequestedOut(BaseModel):
    """`200`: incomplete; every missing document at once (Phiếu yêu cầu bổ sung)."""

    status: Literal["supplement_requested"] = "supplement_requested"
    dossier_id: str
    missing: list[MissingDocument]
    form_url: str = Field(default="", description="the printable supplement request (HTML)")


class RejectedOut(BaseModel):
    """`200`: not eligible or not competent, with every reason (Phiếu từ chối tiếp nhận)."""

    status: Literal["rejected"] = "rejected"
    dossier_id: str
    reasons: list[str]
    form_url: str = Field(default="", description="the printable refusal (HTML)")


SubmissionOut = ReceivedOut | SupplementRequestedOut | RejectedOut


class DocumentOut(BaseModel):
    type: str
    name: str
    name_en: str
    mandatory: bool
    condition: str | None = Field(
        default=None, description="when the document applies; absent = always"
    )


class ProcedureSummary(BaseModel):
    code: str
    version: int
    name: str
    name_en: str
    field: str
    competent_level: str
    online_level: str


class ProcedureDetail(ProcedureSummary):
    effective_from: str
    time_limit: dict[str, Any]
    required_documents: list[DocumentOut]
    sub_procedures: dict[str, Any] | None = None


class TimelineEntry(BaseModel):
    type: str
    at: datetime
    unit: str | None
    timeliness: Literal["early", "on_time", "late"] | None = None


class TrackingOut(BaseModel):
    code: str
    procedure: str
    status: DossierStatus
    unit: str | None
    appointment_at: datetime | None
    overdue: bool
    timeline: list[TimelineEntry]


class SupplementIn(Input):
    """The documents a supplement request asked for."""

    secret: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="the dossier's tracking secret"
    )
    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_DOCUMENTS)

    @model_validator(mode="after")
    def _one_file_per_type(self) -> SupplementIn:
        _check_one_file_per_type(self.documents)
        return self


class WithdrawalIn(Input):
    secret: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="the dossier's tracking secret"
    )
    reason: Annotated[
        str, BeforeValidator(nfc), StringConstraints(max_length=500), AfterValidator(visible_text)
    ] = Field(default="", json_schema_extra={"pattern": VISIBLE_PATTERN})


class ActionOut(BaseModel):
    """`202`: recorded; the tracking view shows it once projected."""

    code: str
    status: DossierStatus
