"""The fraud model page over the model desk's fakes (a manifest and synthetic decision samples
whose last day shifted): what serves, metrics with their scope, drift with flagged rows marked in
text, and chart data for static/model.js in a data attribute; no directory or a broken one."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import replace

import pytest

from api.staff.model_service import ModelDesk
from detectors.models.manifest import ManifestError
from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.order_timeline_fakes import MODEL_VERSION, FixedDirectory, SyntheticSamples
from tests.dashboards.conftest import sign_in

PAGE = "/admin/risk/model"


def _use_desk(h: StaffHarness, desk: ModelDesk | None) -> None:
    assert h.app is not None
    services = h.app.state.services
    h.app.state.services = replace(services, staff=replace(services.staff, model=desk))


class BrokenDirectory:
    def read(self) -> None:
        raise ManifestError("manifest.json: <script>alert(1)</script> is not a manifest")


@pytest.mark.parametrize("role", list(Role))
async def test_every_reader_of_the_json_route_opens_it(staff_api: StaffHarness, role: Role) -> None:
    api = await staff_api.client.get("/staff/v1/fraud/model", headers=staff_api.bearer(role))
    await sign_in(staff_api.client, staff_api.users[role].email)
    r = await staff_api.client.get(PAGE)
    assert r.status_code == api.status_code == 200


async def test_what_serves_its_metrics_and_features(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get(PAGE)).text
    for shown in ("supervised", MODEL_VERSION, "In service</dt><dd>yes", "2026-11-20 00:00:00", "7 days",
                  "2026-08-01 … 2026-10-31", "9,000 orders, 8,000 labelled, 90 frauds", "HistGradientBoostingClassifier",
                  "0.300", "0.800", "0.910", "0.720", "0.310", "best possible 0.400", "5,000",
                  "In-sample: measured by training on its own rows", "IsolationForest",
                  "missing or checksum mismatch"):  # fmt: skip
        assert shown in html, shown
    assert re.search(r"<summary>Features \(\d+\)</summary>", html) and "<code>amount</code>" in html


async def test_drift_flags_shifted_rows_in_text_and_carries_chart_data(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get(PAGE)).text
    assert "above 0.20 is flagged" in html
    score = html[html.index('id="h-score"') :]
    assert "⚠ shifted (above threshold)" in score[: score.index("</h3>")]
    amount_row = re.search(r'<tr class="flagged">\s*<th scope="row"><code>amount</code></th>(.*?)</tr>', html, re.S)
    assert amount_row and "shifted (above threshold)" in amount_row.group(1)
    steady = re.search(r'<tr>\s*<th scope="row"><code>hour</code></th>(.*?)</tr>', html, re.S)
    assert steady and "shifted" not in steady.group(1)
    charts = [json.loads(html_lib.unescape(c)) for c in re.findall(r"data-chart='([^']*)'", html)]
    assert charts[0]["name"] == "score" and {c["name"] for c in charts} >= {"amount", "hour"}
    for c in charts:
        assert len(c["labels"]) == len(c["reference"]) == len(c["recent"]) > 0
        assert abs(sum(c["reference"]) - 100) < 0.5 and c["labels"][-1].startswith(">")
    assert '<script src="/admin/static/model.js" defer></script>' in html
    assert '<script src="/admin/static/vendor/echarts.min.js" defer></script>' in html
    assert 'role="img" aria-label="Share of decisions per bin of score' in html


async def test_the_chart_script_is_served(admin_ui: StaffHarness) -> None:
    r = await admin_ui.client.get("/admin/static/model.js")
    assert r.status_code == 200 and "echarts.init" in r.text


async def test_without_a_model_directory_it_says_what_it_knows(admin_ui: StaffHarness) -> None:
    _use_desk(admin_ui, ModelDesk(FixedDirectory(None), SyntheticSamples(version="")))
    html = (await admin_ui.client.get(PAGE)).text
    assert "No model directory is configured" in html and "none (rules and lists alone)" in html
    assert "No model: decisions use rules and lists alone." in html


async def test_a_broken_directory_is_reported_escaped(admin_ui: StaffHarness) -> None:
    _use_desk(admin_ui, ModelDesk(BrokenDirectory(), SyntheticSamples()))  # type: ignore[arg-type]
    r = await admin_ui.client.get(PAGE)
    assert r.status_code == 200 and "cannot be read" in r.text
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text
    assert "unknown (a model serves whose directory this process cannot read)" in r.text


async def test_a_process_without_the_model_desk_says_so(admin_ui: StaffHarness) -> None:
    _use_desk(admin_ui, None)
    r = await admin_ui.client.get(PAGE)
    assert r.status_code == 503 and "not available" in r.text


async def test_signed_out_goes_to_the_sign_in_form(staff_api: StaffHarness) -> None:
    r = await staff_api.client.get(PAGE)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
