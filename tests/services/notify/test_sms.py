"""SMS length and encoding: GSM-7 vs UCS-2 segments, the unaccented fallback."""

from __future__ import annotations

from lienthong_notify.sms import encoding_of, fit_sms, segments, unaccent, units


def test_plain_ascii_is_gsm7_with_160_then_153_per_segment() -> None:
    assert encoding_of("Ho so 123 da duoc tiep nhan") == "gsm7"
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extension_characters_count_twice() -> None:
    assert units("[x]", "gsm7") == 5
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


def test_vietnamese_diacritics_switch_to_ucs2_with_70_then_67() -> None:
    text = "Hồ sơ đã được tiếp nhận"
    assert encoding_of(text) == "ucs2"
    assert segments("ồ" * 70) == 1
    assert segments("ồ" * 71) == 2
    assert segments("ồ" * 134) == 2
    assert segments("ồ" * 135) == 3


def test_unaccent_keeps_the_vietnamese_readable_in_gsm7() -> None:
    plain = unaccent("Hồ sơ ĐÃ được tiếp nhận – hẹn trả kết quả “sớm”…")
    assert plain == 'Ho so DA duoc tiep nhan - hen tra ket qua "som"...'
    assert encoding_of(plain) == "gsm7"


def test_a_short_accented_message_keeps_its_diacritics() -> None:
    fitted = fit_sms("Hồ sơ   ABC đã được\n tiếp nhận.", max_segments=3)
    assert fitted.text == "Hồ sơ ABC đã được tiếp nhận."
    assert (fitted.encoding, fitted.segments, fitted.unaccented) == ("ucs2", 1, False)


def test_a_long_accented_message_falls_back_to_unaccented_gsm7() -> None:
    text = "Hồ sơ đã được tiếp nhận. " * 8  # 200 characters: 3 UCS-2 segments, 2 in GSM-7
    fitted = fit_sms(text, max_segments=2)
    assert fitted.encoding == "gsm7"
    assert fitted.unaccented
    assert not fitted.truncated
    assert fitted.segments == 2
    assert fitted.text.startswith("Ho so da duoc tiep nhan.")


def test_what_does_not_fit_even_unaccented_is_cut_within_the_limit() -> None:
    fitted = fit_sms("x" * 1000, max_segments=2)
    assert fitted.truncated
    assert fitted.segments == 2
    assert fitted.text.endswith("...")
    assert len(fitted.text) == 306


def test_always_unaccented_is_a_setting() -> None:
    fitted = fit_sms("Hồ sơ", max_segments=3, always_unaccented=True)
    assert (fitted.text, fitted.encoding) == ("Ho so", "gsm7")
