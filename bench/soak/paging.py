"""Cursor paging through a Quadra listing, as the soak's partner and staff clients read them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

PAGE = 500  # the listings' largest page


async def pages(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], problems: list[str]
) -> AsyncIterator[list[dict[str, Any]]]:
    """Each page's `data` in turn. A page the API cannot answer now (a connection error, 429 or
    503 while it restarts) ends the listing early, the caller lists again later; any other
    answer ends it too and is a problem (once)."""
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
        try:
            r = await client.get(path, params=params, headers=headers)
        except httpx.TransportError:
            return
        if r.status_code != 200:
            problem = f"GET {path} answered {r.status_code}: {r.text[:200]}"
            if r.status_code not in (429, 503) and problem not in problems:
                problems.append(problem)
            return
        page = r.json()
        yield page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return
