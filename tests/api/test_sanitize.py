from __future__ import annotations

import pytest

from api.sanitize import (
    MAX_LOGGED_BODY, cannot_hold_secrets, redact_all, sanitize_body, sanitize_headers, sanitize_text,
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"card_number":"4111111111111111"}', '{"card_number":"411111******1111"}'),
        ("card 4111 1111 1111 1111 end", "card 411111******1111 end"),
        ("5500-0000-0000-0004", "550000******0004"),
        ("order 12345678901234 is not a card", "order 12345678901234 is not a card"),
        # A card number next to other digits: the run as a whole fails Luhn, the card does not.
        ("HTTP 500 4111111111111111", "HTTP 500 411111******1111"),
        ("qty 2 4111 1111 1111 1111 x", "qty 2 411111******1111 x"),
        ("4111111111111111 7", "411111******1111 7"),
        ('{"password": "hunter2"}', '{"password": "[REDACTED]"}'),
        ('{"client_secret":"s3cr\\"et"}', '{"client_secret":"[REDACTED]"}'),
        ("Bearer qk_live_abcDEF123_-x", "Bearer qk_live_[REDACTED]"),
    ],
)
def test_sanitize_text(text: str, expected: str) -> None:
    assert sanitize_text(text) == expected


def test_bodies_are_capped_and_cards_masked_before_the_cap() -> None:
    raw = b'{"card":"4111111111111111","pad":"' + b"x" * 100_000 + b'"}'
    logged = sanitize_body(raw)
    assert "4111111111111111" not in logged and "411111******1111" in logged
    assert len(logged) < MAX_LOGGED_BODY + 64


def test_secret_headers_are_redacted() -> None:
    logged = sanitize_headers(
        [(b"Authorization", b"Bearer qk_test_secret"), (b"Cookie", b"s=1"), (b"Accept", b"*/*")]
    )
    assert "qk_test_secret" not in logged and "s=1" not in logged
    assert "accept: */*" in logged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"id":"o","delivery":{"code":"ZAL-1}{\\"X"},"sandbox":true}',
         '{"id":"o","delivery":"[REDACTED]","sandbox":true}'),
        ('{"delivery": {"card": {"pan":"5555555555554444","cvv":"987"}}}', '{"delivery": "[REDACTED]"}'),
        ('{"delivery":{"pan":"5555555555', '{"delivery":"[REDACTED]"'),  # cut off by a cap
        ('{"delivery":null,"company_id":"cmp_a"}', '{"delivery":null,"company_id":"cmp_a"}'),
        ('{"pan":"5555","expiry":"12/29","gift_code":"G-1"}',
         '{"pan":"[REDACTED]","expiry":"[REDACTED]","gift_code":"[REDACTED]"}'),
    ],
)  # fmt: skip
def test_deliveries_are_redacted_whole(text: str, expected: str) -> None:
    assert sanitize_text(text) == expected


def test_secrets_in_a_form_post_are_redacted() -> None:
    form = "login_csrf=abc123&email=ana%40x.test&password=hunter2%26more&next=%2Fadmin&csrf_token=zz"
    cleaned = sanitize_text(form)
    assert "hunter2" not in cleaned and "abc123" not in cleaned and "zz" not in cleaned
    assert "email=ana%40x.test" in cleaned and "next=%2Fadmin" in cleaned


def test_a_csv_body_given_as_its_prefix_is_masked_capped_and_sized() -> None:
    rows = "".join(f"u-{n},10.50,EUR,card-transfer-eur,4111 1111 1111 1111\r\n" for n in range(200_000))
    body = ("end_user_id,amount,currency,product_id,card_number\r\n" + rows).encode()
    prefix = body[: MAX_LOGGED_BODY * 2]  # all the middleware keeps of a 4 MiB batch
    logged = sanitize_body(prefix, total=len(body))
    assert "4111 1111 1111 1111" not in logged and "411111******1111" in logged
    assert len(logged) < MAX_LOGGED_BODY + 100 and logged.endswith("more chars]")
    assert sanitize_body(b"a,b\r\n1,2\r\n", total=9) == "a,b\r\n1,2\r\n"


# Texts for the fast path: it must give what every rule gives, and skip only what no rule changes.
_HIDING = [
    "4111111111111111", "card 4111 1111 1111 1111", "qk_test_abc123", "Bearer qk_live_x",
    '{"cvv":"123"}', '{"delivery":{"code":"GIFT"}}', '"pan": "5500000000000004"',
    "password=hunter2&x=1", "csrf_token=abc", "a=b", 'say "hi"', "5500-0000-0000-0004",
]  # fmt: skip
_PLAIN = [
    "", "/v1/orders", "application/json", "Python/3.11 aiohttp/3.9.5", "127.0.0.1:8000",
    "pipe1234-r50-123", "gzip, deflate", "order 12345678901", "ord_" + "a" * 32, "x" * 10_000,
    "QK_TEST_upper-case-is-not-a-key", "ünïcödé ✓",
]  # fmt: skip


@pytest.mark.parametrize("text", _HIDING + _PLAIN)
@pytest.mark.parametrize("cap", [8, 512, MAX_LOGGED_BODY])
def test_the_fast_path_gives_what_every_rule_gives(text: str, cap: int) -> None:
    full = redact_all(text)
    expected = full if len(full) <= cap else full[:cap] + f"…[{len(full) - cap} more chars]"
    assert sanitize_text(text, cap) == expected


@pytest.mark.parametrize("text", _HIDING)
def test_text_that_may_hold_a_secret_takes_every_rule(text: str) -> None:
    assert not cannot_hold_secrets(text)


@pytest.mark.parametrize("text", _PLAIN)
def test_plain_header_values_paths_and_ids_skip_the_rules(text: str) -> None:
    assert cannot_hold_secrets(text)
