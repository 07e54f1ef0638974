"""The BIN directory: longest prefix wins, unknown and empty BINs have no country."""

from __future__ import annotations

import pytest

from detectors.bins import SAMPLE_BINS, BinDirectory


@pytest.mark.parametrize(
    ("card_bin", "country"),
    [("999101", "KP"), ("99910199", "KP"), ("411111", "US"), ("999200", "RU"), ("999210", "BY"),
     ("400000", ""), ("", ""), (None, ""), ("999", "")],
)  # fmt: skip
def test_lookup(card_bin: str | None, country: str) -> None:
    assert SAMPLE_BINS.country(card_bin) == country


@pytest.mark.parametrize("table", [{"41x": "US"}, {"411111": "usa"}, {"123456789": "US"}])
def test_bad_tables_are_refused(table: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        BinDirectory(table)
