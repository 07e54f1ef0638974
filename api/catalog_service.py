"""The partner's catalog: the products enabled for its company, on its own terms, and the
check every order passes before anything is written to Kafka."""

from __future__ import annotations

from typing import Protocol

from domain.catalog import (
    CompanyProduct,
    Product,
    ProductSource,
    RecipientField,
    company_terms,
    refusal_of,
)
from domain.companies import Company
from domain.errors import OutsideCatalog
from domain.money import Money


class CompanySource(Protocol):
    def get(self, company_id: str) -> Company | None: ...


class PartnerCatalog:
    def __init__(self, products: ProductSource, companies: CompanySource) -> None:
        self._products = products
        self._companies = companies

    def for_company(self, company_id: str) -> tuple[Product, ...]:
        """What the company may order, in the order staff enabled it."""
        enabled = self._enabled(company_id)
        seen = (company_terms(self._products, enabled, c.product_id) for c in enabled)
        return tuple(p for p in seen if p is not None)

    def terms_for(
        self, company_id: str, product_id: str, amount: Money, recipient: RecipientField
    ) -> Product:
        """The product on the company's terms (fee, type) for an order its catalog allows;
        raises OutsideCatalog (422, naming the field at fault) for one it does not."""
        product = company_terms(self._products, self._enabled(company_id), product_id)
        refused = refusal_of(product, amount, recipient)
        if refused is not None:
            raise OutsideCatalog(refused.reason, refused.field)
        assert product is not None  # refusal_of refuses a product that is not offered
        return product

    def _enabled(self, company_id: str) -> tuple[CompanyProduct, ...]:
        company = self._companies.get(company_id)
        return company.catalog if company is not None else ()
