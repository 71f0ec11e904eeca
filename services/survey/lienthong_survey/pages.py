"""Server-rendered pages: the citizen's survey page (mobile first, Vietnamese by default, one
tap answers the main question, no JavaScript) and the staff page with charts."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from lienthong.http.openapi import problems
from lienthong.schemas.survey import SipasFactor
from lienthong.schemas.text import VISIBLE_PATTERN
from lienthong.security import StaffUser
from lienthong.store import Document
from lienthong_survey.answers import AnswerInput, InvalidAnswer
from lienthong_survey.api import AnswerIn, FilterDep
from lienthong_survey.web import REFUSALS, SurveyWeb

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Đánh giá mức độ hài lòng",
        "more": "Đánh giá chi tiết (không bắt buộc)",
        "units": "Đánh giá từng cơ quan, đơn vị",
        "factors": "Các yếu tố",
        "comment": "Góp ý",
        "then_tap": "Sau khi chọn, bấm mức đánh giá chung ở trên để gửi.",
        "thanks": "Cảm ơn Ông/Bà đã đánh giá!",
        "thanks_detail": "Ý kiến của Ông/Bà giúp cải thiện chất lượng phục vụ.",
        "answered": "Phiếu đánh giá này đã được trả lời.",
        "expired": "Đường dẫn đánh giá đã hết hạn.",
        "unknown": "Không tìm thấy phiếu đánh giá.",
        "invalid": "Câu trả lời không hợp lệ.",
        "retry": "Chưa ghi nhận được, vui lòng thử lại.",
        "skip": "Bỏ qua",
        "staff": "Chất lượng phục vụ",
    },
    "en": {
        "title": "Rate our service",
        "more": "Detailed rating (optional)",
        "units": "Rate each unit",
        "factors": "Factors",
        "comment": "Comment",
        "then_tap": "Then tap your overall rating above to send.",
        "thanks": "Thank you for your rating!",
        "thanks_detail": "Your opinion helps improve our service.",
        "answered": "This survey has already been answered.",
        "expired": "This survey link has expired.",
        "unknown": "Survey not found.",
        "invalid": "The answer is not valid.",
        "retry": "Not recorded yet, please try again.",
        "skip": "Skip",
        "staff": "Service quality",
    },
}
_MESSAGE_KEY = {404: "unknown", 409: "answered", 410: "expired", 422: "invalid", 503: "retry"}


def _page(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


# A refused link or answer is a page in the citizen's language, with the status of the refusal;
# the limit on attempts (429) and credentials on an answer (403) are problem documents.
_REFUSED_PAGES: dict[int | str, dict[str, Any]] = {
    status: _page(f"a page saying why ({key})") for status, key in _MESSAGE_KEY.items()
}


def _language(lang: str | None) -> str:
    return "en" if lang == "en" else "vi"


def _render(web: SurveyWeb, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(web.pages.get_template(name).render(**context), status_code=status)


def _refused(web: SurveyWeb, error: Exception, client: str, language: str) -> HTMLResponse:
    status = web.problem_for(error, client).status
    text = TEXT[language]
    return _render(
        web, "message.html", status, lang=language, t=text, message=text[_MESSAGE_KEY[status]]
    )


def _survey_context(web: SurveyWeb, invitation: Document, language: str) -> dict[str, Any]:
    questions = web.questions
    question = questions.main_question.in_language(language)
    return {
        "lang": language,
        "t": TEXT[language],
        "question": question.format(code=invitation["code"] or ""),
        "levels": [(lv.key, lv.in_language(language)) for lv in questions.enabled_levels],
        "units": invitation["units"] if questions.unit_question.enabled else [],
        "factors": [(f.key, f.in_language(language)) for f in questions.sipas.factors]
        if questions.sipas.enabled
        else [],
        "comment": questions.comment,
    }


def _answer_form(web: SurveyWeb) -> dict[str, Any]:
    """The page's form as `_from_form` reads it, for the OpenAPI document (FastAPI does not
    see a form read from the request): the levels and comment length of this question set."""
    rating = {"type": "string", "enum": [level.key for level in web.questions.enabled_levels]}
    optional_rating = {"type": "string", "enum": ["", *rating["enum"]]}
    schema = {
        "type": "object",
        "required": ["overall"],
        "properties": {
            "overall": rating,
            "comment": {
                "type": "string",
                "maxLength": web.questions.comment.max_length,
                "pattern": VISIBLE_PATTERN,
            },
            "desk": {"type": "string", "maxLength": 64, "pattern": r"^[A-Za-z0-9._-]*$"},
            "lang": {"type": "string", "maxLength": 2},
            **{f"factor:{factor}": optional_rating for factor in get_args(SipasFactor)},
        },
        "patternProperties": {"^unit:.+$": optional_rating},
        "additionalProperties": False,
    }
    form = {"application/x-www-form-urlencoded": {"schema": schema}}
    return {"requestBody": {"required": True, "content": form}}


def build_pages(web: SurveyWeb) -> APIRouter:
    router = APIRouter(tags=["survey pages"])

    @router.get(
        "/s/{token}",
        response_class=HTMLResponse,
        summary="The survey page",
        responses={**_REFUSED_PAGES, **problems(429)},
    )
    async def survey_page(
        token: str,
        request: Request,
        lang: Annotated[str | None, Query(max_length=2)] = None,
        desk: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None,
    ) -> HTMLResponse:
        language, client = _language(lang), web.guard_lookup(request)
        try:
            invitation = await web.answers.open_invitation(token)
        except REFUSALS as error:
            return _refused(web, error, client, language)
        context = _survey_context(web, invitation, language)
        return _render(web, "survey.html", token=token, desk=desk or "", **context)

    @router.post(
        "/s/{token}",
        response_class=HTMLResponse,
        summary="Answer from the page",
        responses={**_REFUSED_PAGES, **problems(403, 429)},
        openapi_extra=_answer_form(web),
    )
    async def answer_page(token: str, request: Request) -> HTMLResponse:
        form = await request.form()
        language = _language(str(form.get("lang", "")))
        client = web.guard_answer(request)
        try:
            given = _from_form({k: str(v) for k, v in form.items()}, client, request)
            await web.answers.answer(token, given)
        except REFUSALS as error:
            return _refused(web, error, client, language)
        text = TEXT[language]
        return _render(
            web,
            "message.html",
            lang=language,
            t=text,
            message=text["thanks"],
            detail=text["thanks_detail"],
        )

    @router.get(
        "/v1/surveys/dashboard",
        response_class=HTMLResponse,
        summary="Staff charts",
        responses=problems(401, 403),
    )
    async def dashboard(_staff: StaffUser, filters: FilterDep) -> HTMLResponse:
        summary = await web.statistics.summary(filters, "unit")
        charts = await web.statistics.charts(filters)
        return _render(web, "dashboard.html", t=TEXT["vi"], summary=summary, charts=charts)

    return router


def _from_form(form: dict[str, str], client: str, request: Request) -> AnswerInput:
    """Form fields: overall (the tapped button), unit:<code>, factor:<key>, comment, desk;
    checked by the same model as the API's body."""
    try:
        body = AnswerIn.model_validate(
            {
                "overall": form.get("overall", ""),
                "units": {k[5:]: v for k, v in form.items() if k.startswith("unit:") and v},
                "factors": {k[7:]: v for k, v in form.items() if k.startswith("factor:") and v},
                "comment": form.get("comment", ""),
                "desk": form.get("desk") or None,
            }
        )
    except ValidationError as error:
        raise InvalidAnswer(f"{error.error_count()} field(s) are invalid") from None
    return body.to_input("page", client, request.headers.get("user-agent", ""))
