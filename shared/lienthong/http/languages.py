"""The pages' two languages: Vietnamese (default) and English, chosen by `?lang=en` or the
`lang` cookie; texts are tables of key → (Vietnamese, English)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

LANGUAGES = ("vi", "en")
LANG_COOKIE = "lang"

Texts = Mapping[str, tuple[str, str]]
Translate = Callable[[str], str]


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "vi"
    return asked if asked in LANGUAGES else "vi"


def translator(lang: str, *tables: Texts) -> Translate:
    """A key's text in `lang` from the first table that has it; an unknown key is itself."""
    index = LANGUAGES.index(lang)

    def translate(key: str) -> str:
        for table in tables:
            if key in table:
                return table[key][index]
        return key

    return translate
