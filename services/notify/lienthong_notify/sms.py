"""SMS length and encoding (pure).

An SMS carries 140 bytes. Text entirely in the GSM 03.38 alphabet (GSM-7) fits 160
characters, or 153 per segment once split (the concatenation header takes 7); characters of
the GSM extension table (`€ [ ] { } ^ ~ | \\`) count twice. Anything else — most Vietnamese
letters with diacritics (ả, ợ, đ, …) — switches the whole message to UCS-2: 70 characters,
67 per segment. Carriers bill per segment, which is why Vietnamese brandname SMS are often
sent without diacritics ("không dấu").

Policy: keep the diacritics when the message fits `max_segments` in UCS-2; otherwise (or
always, when configured) strip them to GSM-7; if it is still too long, cut it at the limit
with an ellipsis (the email carries the full text).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["gsm7", "ucs2"]

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_PUNCTUATION = str.maketrans("–—“”’", '--""\'')
_LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}


@dataclass(frozen=True)
class SmsText:
    text: str
    encoding: Encoding
    segments: int
    unaccented: bool
    truncated: bool


def encoding_of(text: str) -> Encoding:
    return "gsm7" if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text) else "ucs2"


def units(text: str, encoding: Encoding) -> int:
    """Length in the encoding's units (septets for GSM-7, UTF-16 code units for UCS-2)."""
    if encoding == "gsm7":
        return sum(2 if c in _GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    encoding = encoding_of(text)
    single, multi = _LIMITS[encoding]
    length = units(text, encoding)
    return 1 if length <= single else -(-length // multi)


def unaccent(text: str) -> str:
    """Vietnamese without diacritics: 'Hồ sơ đã được tiếp nhận' → 'Ho so da duoc tiep nhan'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Typographic punctuation a template may carry, mapped to GSM-7; the rest becomes '?'.
    stripped = stripped.translate(_PUNCTUATION)
    stripped = stripped.replace("…", "...")
    return "".join(c if c in _GSM7_BASIC or c in _GSM7_EXTENSION else "?" for c in stripped)


def _cut(text: str, max_segments: int) -> str:
    budget = (160 if max_segments == 1 else 153 * max_segments) - 3
    out, used = [], 0
    for c in text:
        used += 2 if c in _GSM7_EXTENSION else 1
        if used > budget:
            break
        out.append(c)
    return "".join(out).rstrip() + "..."


def fit_sms(text: str, max_segments: int, *, always_unaccented: bool = False) -> SmsText:
    text = " ".join(text.split())  # templates are written over several lines
    if not always_unaccented and segments(text) <= max_segments:
        return SmsText(text, encoding_of(text), segments(text), False, False)
    plain = unaccent(text)
    truncated = segments(plain) > max_segments
    if truncated:
        plain = _cut(plain, max_segments)
    return SmsText(plain, "gsm7", segments(plain), plain != text, truncated)
