"""Wiring of transaction exports in an API process: the job registry, its sweeper, its stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.export_rows import ClickHouseExportRows
from api.staff.export_jobs import ExportJobs
from api.staff.export_service import TransactionExports
from api.staff.services import StaffServices
from domain.audit import AuditTrail
from quadra.settings import Settings

Stops = list[tuple[str, Callable[[], Any]]]


def with_exports(
    staff: StaffServices, settings: Settings, clickhouse: ClickHouse, audit: AuditTrail, stops: Stops
) -> StaffServices:
    """The staff services plus exports (files under <data_dir>/exports); call on the loop."""
    directory = settings.data_dir / "exports"
    rows = ClickHouseExportRows(clickhouse)
    jobs = ExportJobs(rows, directory)
    jobs.clear_directory()
    sweeper = asyncio.create_task(jobs.run_sweeper(), name="export sweeper")

    async def stop() -> None:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await jobs.close()

    stops.append(("exports", stop))
    return replace(staff, exports=TransactionExports(rows, jobs, audit, directory))
