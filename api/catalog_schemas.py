"""Wire schemas of the catalog: the partner's `GET /v1/catalog`, and the staff's products and
per-company catalogs. Unknown fields are refused, types are strict, amounts are minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from domain.catalog import (
    BASIS_POINTS,
    MAX_COMPANY_PRODUCTS,
    MAX_DENOMINATIONS,
    MAX_MINOR_UNITS,
    PRODUCT_ID,
    CompanyProduct,
    Fee,
    Product,
    ProductRevision,
    ProductType,
    check_company_catalog,
)
from domain.companies import Company
from domain.errors import InvalidCommand

ProductId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRODUCT_ID.pattern)]
Minor = Annotated[int, Field(ge=1, le=MAX_MINOR_UNITS)]
TypeName = Literal["card_transfer", "virtual_card", "gift_certificate", "mobile_topup"]
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FeeIn(_Strict):
    fixed: int = Field(0, ge=0, le=MAX_MINOR_UNITS, description="Minor units per order")
    basis_points: int = Field(0, ge=0, le=BASIS_POINTS, description="Of the amount; 100 = 1 %")

    def fee(self) -> Fee:
        return Fee(self.fixed, self.basis_points)


class FeeOut(BaseModel):
    fixed: int = Field(description="Minor units per order")
    basis_points: int = Field(description="Of the amount, rounded half up; 100 = 1 %")

    @classmethod
    def from_fee(cls, fee: Fee) -> FeeOut:
        return cls(fixed=fee.fixed, basis_points=fee.basis_points)


class CatalogProductOut(BaseModel):
    """One product as this company may order it."""

    id: str
    object: Literal["product"] = "product"
    type: str = Field(description="card_transfer, virtual_card, gift_certificate, mobile_topup")
    brand: str
    currency: str
    denominations: list[int] | None = Field(description="Fixed amounts; null: any in min..max")
    min_amount: int | None
    max_amount: int | None = Field(description="null: no upper bound")
    fee: FeeOut

    @classmethod
    def from_product(cls, p: Product) -> CatalogProductOut:
        fixed = bool(p.denominations)
        return cls(
            id=p.id, type=p.type.value, brand=p.brand, currency=p.currency,
            denominations=list(p.denominations) if fixed else None,
            min_amount=None if fixed else p.min_amount,
            max_amount=None if fixed or not p.max_amount else p.max_amount,
            fee=FeeOut.from_fee(p.fee),
        )  # fmt: skip


class CatalogOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[CatalogProductOut]


# --- staff ---


class ProductPut(_Strict):
    """The whole product. `version` is the one you read (0 to create): a stale one is a 409."""

    version: int = Field(ge=0, le=2**31, description="The version you read; 0 for a new product")
    type: TypeName
    brand: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_PRINTABLE)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    denominations: list[Minor] = Field(default_factory=list, max_length=MAX_DENOMINATIONS)
    min_amount: Minor = 1
    max_amount: int = Field(0, ge=0, le=MAX_MINOR_UNITS, description="0: no upper bound")
    fee: FeeIn = Field(default_factory=FeeIn)
    provider_code: Annotated[str, StringConstraints(max_length=100, pattern=_PRINTABLE)] = ""
    available: bool = True

    @model_validator(mode="after")
    def _a_valid_product(self) -> ProductPut:
        self.product("placeholder")  # the domain's rules, reported as field errors
        return self

    def product(self, product_id: str) -> Product:
        try:
            return Product(
                product_id, ProductType(self.type), self.brand, self.currency,
                tuple(self.denominations), self.min_amount, self.max_amount, self.fee.fee(),
                self.provider_code, self.available,
            )  # fmt: skip
        except ValueError as exc:
            raise ValueError(str(exc)) from None


class ProductOut(BaseModel):
    id: str
    object: Literal["product"] = "product"
    version: int
    type: str
    brand: str
    currency: str
    denominations: list[int]
    min_amount: int
    max_amount: int = Field(description="0: no upper bound")
    fee: FeeOut
    provider_code: str
    available: bool
    updated_at: datetime
    updated_by: str

    @classmethod
    def from_revision(cls, r: ProductRevision) -> ProductOut:
        p = r.product
        return cls(
            id=p.id, version=r.version, type=p.type.value, brand=p.brand, currency=p.currency,
            denominations=list(p.denominations), min_amount=p.min_amount,
            max_amount=p.max_amount, fee=FeeOut.from_fee(p.fee), provider_code=p.provider_code,
            available=p.available, updated_at=r.updated_at, updated_by=r.updated_by,
        )  # fmt: skip


class ProductList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ProductOut]


class CompanyProductIn(_Strict):
    """A product enabled for the company; null fields keep the product's own terms."""

    product_id: ProductId
    min_amount: Minor | None = None
    max_amount: Minor | None = None
    fee: FeeIn | None = None

    @model_validator(mode="after")
    def _valid(self) -> CompanyProductIn:
        self.choice()
        return self

    def choice(self) -> CompanyProduct:
        fee = self.fee.fee() if self.fee is not None else None
        try:
            return CompanyProduct(self.product_id, self.min_amount, self.max_amount, fee)
        except ValueError as exc:
            raise ValueError(str(exc)) from None


class CompanyCatalogPut(_Strict):
    products: list[CompanyProductIn] = Field(max_length=MAX_COMPANY_PRODUCTS)

    @field_validator("products")
    @classmethod
    def _each_once(cls, value: list[CompanyProductIn]) -> list[CompanyProductIn]:
        try:
            check_company_catalog(tuple(p.choice() for p in value))
        except InvalidCommand as exc:
            raise ValueError(exc.detail) from None
        return value

    def choices(self) -> tuple[CompanyProduct, ...]:
        return tuple(p.choice() for p in self.products)


class CompanyProductOut(BaseModel):
    product_id: str
    min_amount: int | None = Field(description="null: the product's own")
    max_amount: int | None = Field(description="null: the product's own")
    fee: FeeOut | None = Field(description="null: the product's own")


class CompanyCatalogOut(BaseModel):
    object: Literal["company_catalog"] = "company_catalog"
    company_id: str
    version: int = Field(description="The company record's version")
    products: list[CompanyProductOut]

    @classmethod
    def from_company(cls, c: Company) -> CompanyCatalogOut:
        return cls(
            company_id=c.id, version=c.version,
            products=[
                CompanyProductOut(
                    product_id=p.product_id, min_amount=p.min_amount, max_amount=p.max_amount,
                    fee=FeeOut.from_fee(p.fee) if p.fee is not None else None,
                )
                for p in c.catalog
            ],
        )  # fmt: skip
