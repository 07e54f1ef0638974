"""Signs in like a browser and times every page: Server-Timing (the handler) and wall time."""

from __future__ import annotations

import html
import re
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

_HIDDEN = re.compile(r'name="login_csrf" value="([^"]+)"')
_NEXT = re.compile(r'href="(\?[^"]*cursor=[^"]*)" rel="next"')  # the pager's relative link
TARGET_MS = 300


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    form = client.get("/admin/login")
    token = _HIDDEN.search(form.text)
    assert token, "no login form"
    done = client.post("/admin/login", data={"email": email, "password": password, "login_csrf": token.group(1)})
    assert done.status_code == 303, (done.status_code, done.text[:300])


def _local(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def pages(ids: dict[str, str], end: datetime) -> list[tuple[str, str]]:
    day, week, month = end - timedelta(days=1), end - timedelta(days=7), end - timedelta(days=30)
    big, median = ids["largest_company"], ids["median_company"]
    recent = f"from={_local(month)}&to={_local(end)}"
    return [
        ("home", "/admin"),
        ("companies", "/admin/companies"),
        ("transactions: no filter", "/admin/transactions"),
        ("transactions: all companies, last day", f"/admin/transactions?from={_local(day)}&to={_local(end)}"),
        ("transactions: median company, 30 d, completed", f"/admin/transactions?company_id={median}&status=completed&{recent}"),
        ("transactions: largest company, 30 d, completed", f"/admin/transactions?company_id={big}&status=completed&{recent}"),
        ("transactions: largest company, amount 100-200", f"/admin/transactions?company_id={big}&currency=EUR&amount_min=100&amount_max=200&{recent}"),
        ("transactions: largest company, card last 4", f"/admin/transactions?company_id={big}&card_last4={ids['card_last4']}&{recent}"),
        ("order detail", f"/admin/orders/{ids['order_id']}"),
        ("request log: no filter", "/admin/request-log"),
        ("request log: largest company, last day", f"/admin/request-log?company_id={big}&from={_local(day)}&to={_local(end)}"),
        ("request viewer", f"/admin/request-log/{ids['request_id']}"),
        ("risk dashboard: last day", f"/admin/dashboards/risk?range=custom&from={_local(day)}&to={_local(end)}"),
        ("risk dashboard: 7 d", f"/admin/dashboards/risk?range=custom&from={_local(week)}&to={_local(end)}"),
        ("risk dashboard: 30 d", f"/admin/dashboards/risk?range=custom&from={_local(month)}&to={_local(end)}"),
        ("risk dashboard: largest company, 30 d", f"/admin/dashboards/risk?range=custom&from={_local(month)}&to={_local(end)}&company_id={big}"),
        ("review queue", "/admin/risk/reviews"),
        ("cases", "/admin/risk/cases"),
        ("case detail", f"/admin/risk/cases/{ids['case_id']}"),
        ("rules with hit stats", "/admin/risk/rules"),
        ("lists", "/admin/risk/lists"),
        ("model and drift", "/admin/risk/model"),
        ("audit log", "/admin/audit"),
        ("audit log: one company", f"/admin/audit?company_id={big}"),
        ("staff users", "/admin/users"),
        ("account", "/admin/account"),
    ]


def _server_ms(response: httpx.Response) -> float:
    timing = response.headers.get("server-timing", "")
    found = re.search(r"dur=([0-9.]+)", timing)
    return float(found.group(1)) if found else float("nan")


def _time(client: httpx.Client, path: str, reps: int, warmup: int) -> dict[str, Any]:
    server, wall, status = [], [], 0
    for i in range(warmup + reps):
        t0 = time.perf_counter()
        try:
            response = client.get(path)
        except httpx.HTTPError as error:  # reported, and the other pages still measured
            return {"status": f"error: {error}"[:40], "server_p50": float("nan"), "server_p95": float("nan"),
                    "wall_p50": float("nan"), "wall_p95": float("nan")}  # fmt: skip
        elapsed = (time.perf_counter() - t0) * 1000
        status = response.status_code
        if i >= warmup:
            server.append(_server_ms(response))
            wall.append(elapsed)
    return {"status": status, "server_p50": statistics.median(server), "server_p95": _p95(server),
            "wall_p50": statistics.median(wall), "wall_p95": _p95(wall)}  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(client: httpx.Client, data: Path, end: datetime, reps: int, warmup: int) -> list[dict[str, Any]]:
    ids = orjson.loads((data / "ui-bench-ids.json").read_bytes())
    with httpx.Client(base_url=client.base_url, timeout=60) as stranger:
        baseline = _time(stranger, "/admin/login", reps, warmup)
    results = [{"page": "baseline: sign-in form", "path": "/admin/login", **baseline}]
    listing = client.get(pages(ids, end)[5][1])
    found = _NEXT.search(listing.text)
    page_two = "/admin/transactions" + html.unescape(found.group(1)) if found else ""
    extra = [("transactions: largest company, page 2", page_two)] if found else []
    for name, path in pages(ids, end) + extra:
        results.append({"page": name, "path": path, **_time(client, path, reps, warmup)})
    base = max(baseline["server_p50"], 0.01)
    for r in results:
        r["ratio"] = r["server_p95"] / base
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"\n{'page':52} {'status':>6} {'server p50':>11} {'p95':>8} {'wall p50':>9} {'p95':>8} {'×base':>7}  < {TARGET_MS} ms")
    for r in results:
        ok = "yes" if r["server_p95"] < TARGET_MS and r["status"] == 200 else "NO"
        print(f"{r['page'][:52]:52} {r['status']:>6} {r['server_p50']:>9.1f}ms {r['server_p95']:>6.1f}ms "
              f"{r['wall_p50']:>7.1f}ms {r['wall_p95']:>6.1f}ms {r['ratio']:>7.1f}  {ok}")  # fmt: skip
