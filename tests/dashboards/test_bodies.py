"""Logged bodies for display: JSON pretty-printed only when that loses nothing, and sanitized
again after decoding (a JSON escape must not smuggle a secret or a card number past the rules)."""

from __future__ import annotations

import pytest

from dashboards.bodies import shown_body
from tests.timeline_builders import CLEAR_PAN


def test_json_is_pretty_printed() -> None:
    assert shown_body('{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}') == (
        '{\n  "a": 1,\n  "b": [\n    true,\n    null,\n    "x"\n  ],\n  "c": {\n    "d": 1.5\n  }\n}'
    )
    assert shown_body('["ж"]') == '[\n  "ж"\n]'


@pytest.mark.parametrize(
    "text",
    ["", "plain text", "a=1&b=2", '{"a":1,"a":2}', '{"amount":10.50}', '{"n":1e5}', '{"n":-0}', '{"n":NaN}',
     '{"cut":"abc…[12 more chars]', '{"x":1}…[5 more chars]', "[" * 5000 + "]" * 5000],
    ids=["empty", "text", "form", "duplicate", "trailing-zero", "exponent", "minus-zero", "nan", "cut", "capped", "deep"],
)  # fmt: skip
def test_anything_else_is_shown_as_stored(text: str) -> None:
    assert shown_body(text) == text


def test_decoded_escapes_are_sanitized_again() -> None:
    escaped_pan = "411\\u0031" + CLEAR_PAN[4:]
    shown = shown_body('{"\\u0061pi_key":"s3cret","card":"' + escaped_pan + '","\\u0070an":"x","delivery":{"code":"G"}}')
    assert "s3cret" not in shown and CLEAR_PAN not in shown and '"G"' not in shown
    assert '"api_key": "[REDACTED]"' in shown and '"pan": "[REDACTED]"' in shown and "411111******1111" in shown


def test_markup_stays_text_for_the_template_to_escape() -> None:
    assert shown_body('{"x":"\\u003cscript\\u003e"}') == '{\n  "x": "<script>"\n}'
