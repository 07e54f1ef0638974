"""BIN (first digits of a card number) → issuing country: a pure, longest-prefix lookup table.

SAMPLE DATA ONLY. The ranges below are a handful of illustrative entries so that rules such as
`bin_country in ["KP", "IR"]` can be written, tested and demonstrated; they are not issuer
data and must not be trusted for real decisions. Production replaces `SAMPLE_BIN_COUNTRIES`
with a licensed BIN table (same shape: digit prefix → ISO 3166-1 alpha-2 code) passed to
`BinDirectory`.

Apart from three well-known test-card BINs, the ranges are synthetic 99xxxx prefixes: 9 is not
an international card scheme's leading digit (ISO/IEC 7812 keeps it for national use), so the
samples collide with no real card. The simulator's test cards (BIN 400000) have no country.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PREFIX = re.compile(r"^[0-9]{1,8}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

SAMPLE_BIN_COUNTRIES: Mapping[str, str] = {
    "411111": "US",  # BIN of the well-known Visa test number 4111 1111 1111 1111
    "424242": "US",  # BIN of a common payment-processor test card
    "555555": "US",  # BIN of a common Mastercard test number
    "998001": "GB",  # synthetic
    "998002": "FR",  # synthetic
    "998003": "DE",  # synthetic
    "999101": "KP",  # synthetic: sanctioned-country sample
    "999102": "IR",  # synthetic: sanctioned-country sample
    "999103": "SY",  # synthetic: sanctioned-country sample
    "999104": "CU",  # synthetic: sanctioned-country sample
    "9992": "RU",  # synthetic: a shorter prefix, to show longest-prefix matching
    "99921": "BY",  # synthetic: longer than "9992", wins over it
}


class BinDirectory:
    """Longest-prefix match of a BIN (6 or 8 digits) against digit prefixes of 1-8 digits."""

    __slots__ = ("_table", "_lengths")

    def __init__(self, table: Mapping[str, str]) -> None:
        for prefix, country in table.items():
            if not _PREFIX.match(prefix):
                raise ValueError(f"BIN prefix {prefix!r} must be 1-8 digits")
            if not _COUNTRY.match(country):
                raise ValueError(f"country {country!r} of BIN {prefix} must be an ISO alpha-2 code")
        self._table = dict(table)
        self._lengths = sorted({len(p) for p in table}, reverse=True)

    def country(self, card_bin: str | None) -> str:
        """The issuing country, or "" when unknown (no card, or no range matches)."""
        if not card_bin:
            return ""
        table = self._table
        for n in self._lengths:
            if n <= len(card_bin):
                found = table.get(card_bin[:n])
                if found is not None:
                    return found
        return ""


SAMPLE_BINS = BinDirectory(SAMPLE_BIN_COUNTRIES)
