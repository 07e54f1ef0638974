"""Wiring of the product catalog: the one product directory a process holds (caught up before
anything that reads it starts), shared by the API and dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streams.product_directory import ProductDirectory
from streams.topics import CATALOG_PRODUCTS, TopicNames


async def start_product_directory(
    bootstrap: str, names: TopicNames, stops: list[tuple[str, Callable[[], Any]]]
) -> ProductDirectory:
    products = ProductDirectory(bootstrap, names(CATALOG_PRODUCTS))
    await products.start()
    stops.append(("product directory", products.stop))
    return products
