"""Partner companies registered through the real registry rules with every sandbox product
enabled (the product fakes live with the staff fakes: both sides use them)."""

from __future__ import annotations

from domain.catalog import CompanyProduct
from domain.companies import CompanyProfile
from domain.registry import CreateCompany, SetCompanyCatalog
from quadra.catalog_seed import SANDBOX_CATALOG
from tests.api.staff.fakes import InMemoryProducts, InMemoryRegistry
from tests.builders import T0

__all__ = ["ALL_SANDBOX", "InMemoryProducts", "partner_registry"]

ALL_SANDBOX = tuple(CompanyProduct(p.id) for p in SANDBOX_CATALOG.products)


async def partner_registry(catalog: tuple[CompanyProduct, ...] = ALL_SANDBOX) -> InMemoryRegistry:
    """cmp_a and cmp_b (the companies of tests.api.fakes' keys), each offered `catalog`."""
    registry = InMemoryRegistry()
    profile = CompanyProfile("A", "A GmbH", "DE", "ops@a.test", "ops@a.test")
    for company_id in ("cmp_a", "cmp_b"):
        await registry.submit(CreateCompany(f"seed-{company_id}", company_id, profile, T0))
        await registry.submit(SetCompanyCatalog(f"cat-{company_id}", company_id, catalog, T0))
    registry.commands.clear()
    return registry
