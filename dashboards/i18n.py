"""The UI's languages: a flat translation catalog per locale, one JSON file per area
(locales/<code>/<area>.json, merged; a key belongs to exactly one area file).

A key missing from a catalog falls back to English, then to the key itself, so a page never
breaks; a test keeps every catalog complete.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

LOCALE_DIR = Path(__file__).with_name("locales")


class UiLocale(str, enum.Enum):
    EN = "en"
    RU = "ru"

    @classmethod
    def of(cls, value: object) -> UiLocale:
        """A user's stored preference, or English for anything unknown."""
        raw = getattr(value, "value", value)
        try:
            return cls(str(raw))
        except ValueError:
            return cls.EN


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
