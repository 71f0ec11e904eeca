"""Text that people type (names, file names, reasons, comments): one Unicode form, nothing
invisible.

Vietnamese letters can be typed precomposed (ế, U+1EBF) or decomposed (e, U+0302, U+0301),
depending on the keyboard and the system; both look the same, so the same name must be the
same string — in events, in searches, on the printed receipt. Text is therefore stored in NFC.

Zero-width characters, bidirectional controls and other invisible format characters are
refused with a clear error rather than stripped: they cannot be seen, so a name carrying them
is not the name the applicant reads on the screen (a right-to-left override, U+202E, makes
the file name "hop-dong<U+202E>fdp.exe" read "hop-dongexe.pdf"), and stripping them would
silently change what the applicant sent. Single-line text also refuses control characters
(line breaks, tabs, NUL).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

INVISIBLE = frozenset(
    chr(code)
    for code in (
        0x00AD,  # soft hyphen
        0x061C,  # Arabic letter mark (a bidi mark)
        0x180E,  # Mongolian vowel separator
        *range(0x200B, 0x2010),  # zero-width space, (non-)joiner, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        *range(0x2066, 0x206A),  # bidi isolates
        0xFEFF,  # zero-width no-break space (byte order mark)
    )
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
# that read them); the validators below are what enforces them.
VISIBLE_PATTERN = _none_of(sorted(INVISIBLE))
SINGLE_LINE_PATTERN = _none_of(
    sorted(INVISIBLE | {chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))})
)


def nfc(value: Any) -> Any:
    """NFC of a string; anything else is left for the type's own validation to refuse."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _described(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" {name}" if name else "")


def visible_text(value: str) -> str:
    """Refuse invisible format characters (zero-width, bidi controls)."""
    found = next((c for c in value if c in INVISIBLE), None)
    if found is not None:
        raise ValueError(f"contains an invisible character ({_described(found)}): remove it")
    return value


def single_line(value: str) -> str:
    """Refuse invisible characters and control characters (a line break, a tab, NUL)."""
    visible_text(value)
    found = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if found is not None:
        raise ValueError(f"contains a control character ({_described(found)}): remove it")
    return value


SingleLineText = Annotated[str, BeforeValidator(nfc), AfterValidator(single_line)]
"""A name, a file name, an address: NFC, no invisible or control characters."""

FreeText = Annotated[str, BeforeValidator(nfc), AfterValidator(visible_text)]
"""A reason, a comment: NFC, no invisible characters; line breaks are allowed."""


def checked_strings(value: Any, path: str = "") -> Any:
    """`value` (JSON-shaped) with every string, keys included, as `FreeText` (NFC, nothing
    invisible); raises ValueError naming where the first refused string is."""
    if isinstance(value, str):
        try:
            return visible_text(nfc(value))
        except ValueError as exc:
            raise ValueError(f"{path or 'value'} {exc}") from None
    if isinstance(value, dict):
        checked = {}
        for key, item in value.items():
            name = checked_strings(key, f"a key of {path or 'value'}")
            checked[name] = checked_strings(item, f"{path}.{name}" if path else str(name))
        return checked
    if isinstance(value, list):
        return [checked_strings(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value
