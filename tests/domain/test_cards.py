from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from domain.cards import CardVault, luhn_valid, mask_card_number, normalize_card_number

KEY_A = base64.b64decode(base64.b64encode(b"a" * 32))
KEY_B = b"b" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4111111111111111", "4111111111111111"),
        ("4111 1111 1111 1111", "4111111111111111"),
        ("5500-0000-0000-0004", "5500000000000004"),
        ("4111111111111112", None),  # fails Luhn
        ("41111111111", None),  # too short
        ("4111111111111111111111", None),  # too long
        ("4111x11111111111", None),
        ("", None),
        ("4111110000000003\n", None),  # a final newline once passed (and made this pass Luhn)
        ("4111111111111111\n", None),
        ("\u0664\u0661\u0661\u0661" * 4, None),  # Arabic-Indic digits are not card digits
        ("\uff14\uff11\uff11\uff11" * 4, None),  # nor are full-width ones
    ],
)
def test_normalize(raw: str, expected: str | None) -> None:
    assert normalize_card_number(raw) == expected


def test_luhn_and_mask() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert mask_card_number("4111111111111111") == "411111******1111"


def test_protect_tokenizes_and_encrypts_and_reveal_round_trips() -> None:
    vault = CardVault({"k1": KEY_A}, b"token-key")
    card = vault.protect("4111111111111111")
    assert card.token == vault.token_for("4111111111111111")
    assert card.token.startswith("tok_") and "4111111111111111" not in card.token
    assert (card.bin, card.last4) == ("411111", "1111")
    assert card.ciphertext.startswith("k1.") and "4111111111111111" not in card.ciphertext
    assert vault.reveal(card.ciphertext) == "4111111111111111"
    # a fresh nonce each time: equal numbers do not give equal ciphertexts
    assert vault.protect("4111111111111111").ciphertext != card.ciphertext


def test_key_rotation_decrypts_old_ciphertexts_and_encrypts_with_the_new_key() -> None:
    old = CardVault({"k1": KEY_A}, b"t").protect("4111111111111111")
    rotated = CardVault({"k2": KEY_B, "k1": KEY_A}, b"t")
    assert rotated.reveal(old.ciphertext) == "4111111111111111"
    assert rotated.protect("4111111111111111").ciphertext.startswith("k2.")


def test_tampered_ciphertext_is_rejected() -> None:
    vault = CardVault({"k1": KEY_A}, b"t")
    kid, _, payload = vault.protect("4111111111111111").ciphertext.partition(".")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        vault.reveal(f"{kid}.{base64.b64encode(bytes(raw)).decode()}")


def test_tokens_depend_on_the_token_key() -> None:
    a = CardVault({"k1": KEY_A}, b"one").token_for("4111111111111111")
    b = CardVault({"k1": KEY_A}, b"two").token_for("4111111111111111")
    assert a != b
