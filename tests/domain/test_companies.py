from __future__ import annotations

from dataclasses import replace

import pytest

from domain.companies import Company, CompanyProfile, CompanyStatus, normalize_allowlist
from domain.errors import InvalidCommand
from tests.builders import T0

PROFILE = CompanyProfile("Acme", "Acme GmbH", "DE", "ops@acme.test", "ops@acme.test")


def _company(*cidrs: str) -> Company:
    return Company("cmp_a", replace(PROFILE, ip_allowlist=cidrs), CompanyStatus.ACTIVE, T0, T0)


def test_allowlists_are_canonical_cidrs() -> None:
    assert normalize_allowlist([" 10.0.0.1", "10.0.0.0/8", "2001:db8::/32", "10.0.0.1/32"]) == (
        "10.0.0.1/32", "10.0.0.0/8", "2001:db8::/32",
    )  # fmt: skip


@pytest.mark.parametrize("entries", [["10.0.0.5/8"], ["nope"], ["300.1.1.1"], ["10.0.0.0/8"] * 101])
def test_bad_allowlists_are_refused(entries: list[str]) -> None:
    with pytest.raises(InvalidCommand):
        normalize_allowlist(entries)


def test_admits_ip() -> None:
    assert _company().admits_ip("198.51.100.7")  # no list: everyone
    company = _company("203.0.113.0/24", "2001:db8::/32")
    assert company.admits_ip("203.0.113.9") and company.admits_ip("2001:db8::1")
    assert company.admits_ip("::ffff:203.0.113.9")  # IPv4 seen through an IPv6 socket
    assert not company.admits_ip("203.0.114.1") and not company.admits_ip("") and not company.admits_ip("x")


@pytest.mark.parametrize(
    "changes",
    [{"name": " "}, {"legal_name": "x" * 201}, {"country": "de"}, {"contact_email": "x"},
     {"notification_email": "a@b"}, {"address": "line\nbreak"}],
)  # fmt: skip
def test_profiles_are_checked(changes: dict[str, str]) -> None:
    with pytest.raises(InvalidCommand):
        replace(PROFILE, **changes).checked()
    assert replace(PROFILE, name="  Acme  ").checked().name == "Acme"
