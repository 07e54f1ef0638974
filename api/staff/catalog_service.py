"""Use cases behind the staff catalog routes: the global products and each company's catalog.

Products are saved as full versioned records on the products topic (see
streams.product_directory for why directly); a company's catalog is a registry command. Both
are recorded in the audit trail once durable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from api.staff.company_service import CompanyReader, RegistryPort
from domain.audit import AuditTrail
from domain.catalog import (
    CompanyProduct,
    Product,
    ProductRevision,
    check_against_catalog,
    revise_product,
)
from domain.companies import Company
from domain.errors import NotFound
from domain.registry import SetCompanyCatalog
from domain.staff import StaffActor


class ProductReader(Protocol):
    def get(self, product_id: str) -> Product | None: ...

    def revision(self, product_id: str) -> ProductRevision | None: ...

    def revisions(self) -> list[ProductRevision]: ...


class ProductStore(Protocol):
    async def save(self, revision: ProductRevision) -> None:
        """Durable when it returns, and visible to this node's reads."""


@dataclass(frozen=True, slots=True)
class SavedProduct:
    revision: ProductRevision
    created: bool  # this request created the product


class CatalogAdmin:
    def __init__(
        self,
        products: ProductReader,
        store: ProductStore,
        companies: CompanyReader,
        registry: RegistryPort,
        audit: AuditTrail,
    ) -> None:
        self._products = products
        self._store = store
        self._companies = companies
        self._registry = registry
        self._audit = audit

    def products(self) -> list[ProductRevision]:
        return self._products.revisions()

    def product(self, product_id: str) -> ProductRevision:
        revision = self._products.revision(product_id)
        if revision is None:
            raise NotFound(f"no product {product_id}")
        return revision

    async def put_product(
        self, actor: StaffActor, product: Product, expected_version: int
    ) -> SavedProduct:
        """Creates (version 0) or replaces a product; Conflict when someone saved in between."""
        current = self._products.revision(product.id)
        if current is not None and current.product == product:
            return SavedProduct(current, False)  # nothing to change: a repeated click is harmless
        revision = revise_product(current, product, expected_version, actor.at, actor.user.id)
        await self._store.save(revision)
        action = "product.create" if current is None else "product.update"
        details = {"version": revision.version, "available": product.available,
                   "fee": {"fixed": product.fee.fixed, "basis_points": product.fee.basis_points}}  # fmt: skip
        await self._audit.record(actor.audit(action, product.id, "", details))
        return SavedProduct(revision, current is None)

    def company_catalog(self, company_id: str) -> Company:
        company = self._companies.get(company_id)
        if company is None:
            raise NotFound(f"no company {company_id}")
        return company

    async def set_company_catalog(
        self, actor: StaffActor, company_id: str, choices: tuple[CompanyProduct, ...]
    ) -> Company:
        self.company_catalog(company_id)
        check_against_catalog(self._products, choices)
        result = await self._registry.submit(
            SetCompanyCatalog(actor.request_id, company_id, choices, actor.at)
        )
        details = {"products": [c.product_id for c in choices]}
        await self._audit.record(actor.audit("company.catalog", company_id, company_id, details))
        return result.company
