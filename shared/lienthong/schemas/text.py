"""Text that people type (names, file names, reasons, comments): one Unicode form, nothing
invisible.

Vietnamese letters can be typed precomposed (ế, U+1EBF) or decomposed (e, U+0302, U+0301),
depending on the keyboard and the system; both look the same, so the same name must be the
same string — in events, in searches, on the printed receipt. Text is therefore stored in NFC.

Invisible characters are refused with a clear error rather than stripped: they cannot be seen,
so a name carrying them is not the name the applicant reads on the screen (a right-to-left
override, U+202E, makes the file name "hop-dong<U+202E>fdp.exe" read "hop-dongexe.pdf"), and
stripping them would silently change what the applicant sent. Invisible means every format
character (Unicode category Cf: zero-width characters, bidi controls, tag characters — no
Vietnamese text needs one), the blank "letters" (Hangul fillers, the braille blank), and in
single-line text the variation selectors too (free text keeps them: an emoji typed on a phone,
❤️, carries U+FE0F). Single-line text also refuses control characters (line breaks, tabs, NUL).

A person's name is not blank (Unicode spaces included), has at least one letter and does not
begin with a combining mark.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

BLANK_LETTERS = frozenset(
    chr(code)
    for code in (
        0x115F,  # Hangul choseong filler
        0x1160,  # Hangul jungseong filler
        0x2800,  # braille pattern blank
        0x3164,  # Hangul filler
        0xFFA0,  # halfwidth Hangul filler
    )
)
TAGS = range(0xE0000, 0xE0080)
VARIATION_SELECTORS = frozenset(
    chr(code) for code in (*range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0))
)

# The invisible characters of the Basic Multilingual Plane, for the patterns below (the
# validators also refuse those beyond it: tag characters, the supplementary selectors, ...).
INVISIBLE = (
    frozenset(c for c in map(chr, range(0x10000)) if unicodedata.category(c) == "Cf")
    | BLANK_LETTERS
)


def _none_of(characters: list[str]) -> str:
    """`^[^…]*$` with consecutive code points as ranges."""
    codes = sorted(ord(c) for c in characters)
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    parts = [f"\\u{a:04X}" + (f"-\\u{b:04X}" if b > a else "") for a, b in runs]
    return f"^[^{''.join(parts)}]*$"


# The same rules as JSON Schema patterns, for OpenAPI documents (and the clients and fuzzers
# that read them), as far as a pattern without astral escapes can say them; the validators
# below are what enforces them.
VISIBLE_PATTERN = _none_of(sorted(INVISIBLE))
SINGLE_LINE_PATTERN = _none_of(
    sorted(
        INVISIBLE
        | {c for c in VARIATION_SELECTORS if ord(c) < 0x10000}
        | {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
    )
)


def nfc(value: Any) -> Any:
    """NFC of a string; anything else is left for the type's own validation to refuse."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _described(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" {name}" if name else "")


def _invisible(character: str) -> bool:
    return (
        character in BLANK_LETTERS
        or unicodedata.category(character) == "Cf"
        or ord(character) in TAGS
    )


def visible_text(value: str) -> str:
    """Refuse invisible characters (format characters, blank letters)."""
    found = next((c for c in value if _invisible(c)), None)
    if found is not None:
        raise ValueError(f"contains an invisible character ({_described(found)}): remove it")
    return value


def single_line(value: str) -> str:
    """Refuse invisible characters, variation selectors and control characters (a line
    break, a tab, NUL)."""
    visible_text(value)
    found = next((c for c in value if c in VARIATION_SELECTORS), None)
    if found is not None:
        raise ValueError(f"contains an invisible character ({_described(found)}): remove it")
    found = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if found is not None:
        raise ValueError(f"contains a control character ({_described(found)}): remove it")
    return value


def not_blank(value: str) -> str:
    """Refuse text that is only spaces (Unicode spaces included: U+3000, U+00A0, ...)."""
    if not value.strip():
        raise ValueError("is blank")
    return value


def person_name(value: str) -> str:
    """A name as it is read: not blank, single-line, with a letter, not opening on a
    combining mark; returned without surrounding spaces."""
    name = single_line(not_blank(value)).strip()
    if unicodedata.category(name[0]).startswith("M"):
        raise ValueError(f"begins with a combining mark ({_described(name[0])}): remove it")
    if not any(unicodedata.category(c).startswith("L") for c in name):
        raise ValueError("has no letter")
    return name


SingleLineText = Annotated[str, BeforeValidator(nfc), AfterValidator(single_line)]
"""A name, a file name, an address: NFC, no invisible or control characters."""

FreeText = Annotated[str, BeforeValidator(nfc), AfterValidator(visible_text)]
"""A reason, a comment: NFC, no invisible characters; line breaks are allowed."""

MAX_DEPTH = 16
"""How deeply `checked_strings` lets lists and objects nest."""
MAX_NODES = 5_000
"""How many values (containers, strings, numbers, ...) `checked_strings` looks at, at most."""


def checked_strings(value: Any, path: str = "") -> Any:
    """`value` (JSON-shaped) with every string, keys included, as `FreeText` (NFC, nothing
    invisible); raises ValueError naming where the first refused string is, or when lists and
    objects nest deeper than `MAX_DEPTH` or hold more than `MAX_NODES` values."""
    seen = 0

    def checked(item: Any, where: str, depth: int) -> Any:
        nonlocal seen
        seen += 1
        if seen > MAX_NODES:
            raise ValueError(f"holds more than {MAX_NODES} values")
        if isinstance(item, str):
            try:
                return visible_text(nfc(item))
            except ValueError as exc:
                raise ValueError(f"{where or 'value'} {exc}") from None
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            raise ValueError(f"{where or 'value'} nests lists and objects over {MAX_DEPTH} deep")
        if isinstance(item, dict):
            result = {}
            for key, inner in item.items():
                name = checked(key, f"a key of {where or 'value'}", depth + 1)
                result[name] = checked(inner, f"{where}.{name}" if where else str(name), depth + 1)
            return result
        if isinstance(item, list):
            return [checked(inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item)]
        return item

    return checked(value, path, 0)
