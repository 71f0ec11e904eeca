"""Rules and templates: every rule's template renders; HTML escapes; SMS are Vietnamese."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from lienthong_notify.config import DEFAULT_RULES
from lienthong_notify.rendering import TemplateBook
from lienthong_notify.rules import Rule, TemplateRef, load_rules

BOOK = TemplateBook(ZoneInfo("Asia/Ho_Chi_Minh"))
SAMPLE_DATA: dict[str, dict[str, object]] = {
    "dossier.received": {"code": "X-1", "appointment_at": "2026-03-12T08:30:00Z"},
    "dossier.supplement-requested": {"missing": ["Tờ khai", "CCCD"], "requested_by": "u"},
    "dossier.rejected": {"reasons": ["Không thuộc thẩm quyền"]},
    "dossier.refused": {"step": "s", "unit": "u", "reasons": ["Sai thông tin"]},
    "dossier.apology-issued": {
        "step": "s",
        "unit": "u",
        "previous_appointment": "2026-03-12T08:30:00Z",
        "new_appointment": "2026-03-16T08:30:00Z",
    },
    "dossier.result-ready": {"unit": "u", "delivery": "counter"},
    "survey.invited": {
        "link_path": "/s/tok123",
        "attempt": 2,
        "expires_at": "2026-03-20T10:00:00Z",
    },
}


def variables(data: dict[str, object], name: str = "Trần Thị Bình") -> dict[str, object]:
    return {
        "data": data,
        "code": "X-1",
        "name": name,
        "tracking_url": "https://t.example/X-1",
        "survey_base_url": "https://dvc.example",
    }


@pytest.mark.parametrize("rule", load_rules(DEFAULT_RULES).rules, ids=lambda r: r.event)
def test_every_rule_renders_all_four_parts(rule: Rule) -> None:
    BOOK.check(rule.template_ref)
    rendered = BOOK.render(rule.template_ref, variables(SAMPLE_DATA[rule.event]))
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert "Trần Thị Bình" in rendered.text
    assert "Dear" in rendered.text
    assert rendered.html.startswith("<!doctype html>")
    assert 'lang="vi"' in rendered.html
    assert rendered.sms
    assert "\n" not in rendered.sms.strip()


def test_receipt_shows_the_appointment_in_local_time_and_the_tracking_link() -> None:
    rendered = BOOK.render(
        TemplateRef.parse("receipt@1"), variables(SAMPLE_DATA["dossier.received"])
    )
    assert "15:30 12/03/2026" in rendered.text  # 08:30 UTC = 15:30 in Hồ Chí Minh City
    assert "https://t.example/X-1" in rendered.text
    assert 'href="https://t.example/X-1"' in rendered.html
    assert rendered.sms.startswith("Hồ sơ X-1 đã được tiếp nhận.")


def test_html_escapes_what_the_text_keeps() -> None:
    rendered = BOOK.render(
        TemplateRef.parse("receipt@1"), variables(SAMPLE_DATA["dossier.received"], "<b>Bình</b>")
    )
    assert "&lt;b&gt;Bình&lt;/b&gt;" in rendered.html
    assert "<b>Bình" not in rendered.html
    assert "<b>Bình</b>" in rendered.text


def test_a_missing_field_is_an_error_not_a_blank() -> None:
    with pytest.raises(Exception, match="appointment_at"):
        BOOK.render(TemplateRef.parse("receipt@1"), variables({"code": "X-1"}))


def test_rules_choose_channels_from_the_preference_and_the_addresses() -> None:
    preferred = Rule(event="e", template="receipt@1", channels="preferred")
    everything = Rule(event="e", template="receipt@1", channels="all")
    assert preferred.channels_for("email", {"sms", "email"}) == ["email"]
    assert preferred.channels_for("email", {"sms"}) == []
    assert everything.channels_for("sms", {"sms", "email"}) == ["sms", "email"]
    with pytest.raises(ValueError, match="<id>@<version>"):
        TemplateRef.parse("receipt")


def test_the_survey_invitation_carries_its_one_time_link() -> None:
    data = SAMPLE_DATA["survey.invited"]
    rendered = BOOK.render(TemplateRef.parse("survey@1"), variables(data))
    assert rendered.subject.startswith("Nhắc lại: ")  # attempt 2 is the reminder
    assert "https://dvc.example/s/tok123" in rendered.text
    assert 'href="https://dvc.example/s/tok123"' in rendered.html
    assert rendered.sms.endswith("https://dvc.example/s/tok123")
