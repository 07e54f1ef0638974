"""Money is an integer count of minor units plus an ISO 4217 currency: never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    value: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError("money value must be an int of minor units")
        if not _CURRENCY.match(self.currency):
            raise ValueError("currency must be a 3-letter ISO 4217 code")
