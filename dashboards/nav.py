"""The back office's areas and the permission each needs: the menu shows only what opens."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.web import Viewer
from domain.staff import Permission as P


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # the translation key of its name, and of its description with ".about"
    path: str
    permission: P


SECTIONS: tuple[Section, ...] = (
    Section("nav.companies", "/admin/companies", P.COMPANIES_READ),
    Section("nav.transactions", "/admin/transactions", P.REPORTS_READ),
    Section("nav.batches", "/admin/batches", P.REPORTS_READ),  # as viewing transactions
    Section("nav.request_log", "/admin/request-log", P.REPORTS_READ),
    Section("nav.dashboards", "/admin/dashboards/risk", P.REPORTS_READ),
    Section("nav.reviews", "/admin/risk/reviews", P.RISK_REVIEW),
    Section("nav.rules", "/admin/risk/rules", P.RISK_REVIEW),
    Section("nav.lists", "/admin/risk/lists", P.RISK_REVIEW),
    Section("nav.model", "/admin/risk/model", P.REPORTS_READ),  # the page admits risk or reports readers
    Section("nav.audit", "/admin/audit", P.AUDIT_READ),
    Section("nav.users", "/admin/users", P.STAFF_MANAGE),
)


def sections_for(viewer: Viewer) -> list[Section]:
    return [s for s in SECTIONS if viewer.user.may(s.permission)]
