"""What the survey's HTTP routes share: the use cases, the limits, the guards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lienthong.http import Problem
from lienthong.security import InvalidToken, verify_token
from lienthong.settings import Settings
from lienthong_survey.answers import (
    AlreadyAnswered,
    Answers,
    ExpiredToken,
    InvalidAnswer,
    NotRecorded,
    UnknownToken,
)
from lienthong_survey.invitations import Invitations
from lienthong_survey.limits import WindowLimiter
from lienthong_survey.questions import QuestionSet
from lienthong_survey.settings import SurveySettings
from lienthong_survey.statistics import Statistics

TEMPLATES = Path(__file__).parent / "templates"
PROBLEM = "urn:lienthong:problem:survey:"


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "svg")),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass
class SurveyWeb:
    answers: Answers
    invitations: Invitations
    statistics: Statistics
    questions: QuestionSet
    settings: SurveySettings
    runtime: Settings
    answer_limiter: WindowLimiter
    lookup_limiter: WindowLimiter
    pages: Environment

    def guard_lookup(self, request: Request) -> str:
        """The client's address, after the limit on unknown tokens (anti-guessing)."""
        client = request.client.host if request.client else "unknown"
        wait = self.lookup_limiter.retry_after(client)
        if wait:
            raise HTTPException(429, "too many unknown survey links", {"Retry-After": str(wait)})
        return client

    def guard_answer(self, request: Request) -> str:
        """Citizens answer anonymously: any credentials (a staff token above all) are refused,
        so staff cannot answer for a citizen. Then the per-client answer limit."""
        header = request.headers.get("authorization")
        if header:
            detail = (
                "staff cannot answer for a citizen"
                if self._is_staff(header)
                else "answers carry no credentials"
            )
            raise Problem(403, "Forbidden", detail, type=PROBLEM + "staff-answer")
        client = self.guard_lookup(request)
        wait = self.answer_limiter.retry_after(client)
        if wait:
            raise HTTPException(
                429, "too many answers from this address", {"Retry-After": str(wait)}
            )
        self.answer_limiter.record(client)
        return client

    def _is_staff(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        try:
            return bool(verify_token(self.runtime, token).kind == "staff")
        except InvalidToken:
            return False

    def problem_for(self, error: Exception, client: str) -> Problem:
        """The RFC 9457 problem for a refused token or answer."""
        if isinstance(error, UnknownToken):
            self.lookup_limiter.record(client)
            return Problem(404, "Unknown survey link", type=PROBLEM + "unknown")
        if isinstance(error, ExpiredToken):
            return Problem(410, "Survey link expired", type=PROBLEM + "expired")
        if isinstance(error, AlreadyAnswered):
            return Problem(
                409, "Already answered", "one answer per link", type=PROBLEM + "answered"
            )
        if isinstance(error, InvalidAnswer):
            return Problem(422, "Invalid answer", str(error), type=PROBLEM + "invalid")
        if isinstance(error, NotRecorded):
            return Problem(503, "Answer not recorded", "please try again", type=PROBLEM + "retry")
        raise error


REFUSALS = (UnknownToken, ExpiredToken, AlreadyAnswered, InvalidAnswer, NotRecorded)
