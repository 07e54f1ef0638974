"""The catalog Quadra ships with until staff manage it: the products the sandbox providers pay."""

from __future__ import annotations

from domain.catalog import Catalog, Fee, Product, ProductType

SANDBOX_CATALOG = Catalog((
    Product("card-transfer-eur", ProductType.CARD_TRANSFER, "Visa/Mastercard", "EUR",
            min_amount=100, max_amount=1_000_000, fee=Fee(25, 100)),
    Product("card-transfer-usd", ProductType.CARD_TRANSFER, "Visa/Mastercard", "USD",
            min_amount=100, max_amount=1_000_000, fee=Fee(25, 100)),
    Product("virtual-card-eur", ProductType.VIRTUAL_CARD, "Quadra Prepaid", "EUR",
            min_amount=500, max_amount=50_000, fee=Fee(50, 0)),
    Product("amazon-de-25", ProductType.GIFT_CERTIFICATE, "Amazon.de", "EUR",
            denominations=(2500,), provider_code="amazon-de-25"),
    Product("zalando-50", ProductType.GIFT_CERTIFICATE, "Zalando", "EUR",
            denominations=(5000,), provider_code="zalando-50"),
    Product("topup-de", ProductType.MOBILE_TOPUP, "Telekom/Vodafone", "EUR",
            min_amount=500, max_amount=10_000),
))  # fmt: skip
