"""The UI's languages: a flat translation catalog per locale, one JSON file per area
(locales/<code>/<area>.json, merged; a key belongs to exactly one area file).

A key missing from a catalog falls back to English, then to the key itself, so a page never
breaks; a test keeps every catalog complete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from domain.staff import Locale

LOCALE_DIR = Path(__file__).with_name("locales")


UiLocale = Locale  # the staff user's stored preference is the UI's language


@cache
def catalog(locale: UiLocale) -> Mapping[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / locale.value).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        merged.update({str(k): str(v) for k, v in data.items()})
    return MappingProxyType(merged)


class Translator:
    def __init__(self, locale: UiLocale) -> None:
        self.locale = locale
        self._own = catalog(locale)
        self._fallback = catalog(UiLocale.EN)

    def __call__(self, key: str, **params: object) -> str:
        text = self._own.get(key) or self._fallback.get(key) or key
        return text.format(**params) if params else text
