"""One process's life: broker, roles, banner, wait for a signal, orderly stop."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from quadra.local_kafka import KafkaSetupError, local_kafka_from_settings
from quadra.runtime import Role, RoleLayoutError, start_roles, stop_roles
from quadra.settings import Settings
from quadra.stopping import exit_now, install_stop_signals
from streams.admin import TopicLayoutError

log = logging.getLogger("quadra")


def parse_roles(csv: str) -> frozenset[Role]:
    return frozenset(Role(part.strip()) for part in csv.split(",") if part.strip())


async def run_process(settings: Settings, roles_csv: str, seed_demo: bool) -> int:
    roles = parse_roles(roles_csv)
    stop = asyncio.Event()
    install_stop_signals(stop)

    local = None
    started_broker = False
    bootstrap = settings.kafka_bootstrap
    if bootstrap is None:
        local = local_kafka_from_settings(settings)
        try:
            await asyncio.to_thread(local.ensure_jars)
            started_broker = await asyncio.to_thread(local.start)
        except KafkaSetupError as exc:
            print(f"quadra: {exc}", flush=True)
            return 2
        bootstrap = local.bootstrap

    try:
        started = await start_roles(settings, roles, bootstrap, seed_demo)
    except (RoleLayoutError, TopicLayoutError) as exc:
        print(f"quadra: {exc}", flush=True)
        return 2
    except KafkaError as exc:
        print(f"quadra: cannot use Kafka at {bootstrap}: {exc!r}", flush=True)
        return 2

    _print_banner(settings, roles, started.bootstrap, started.api_url, started.demo_key)
    await stop.wait()
    log.info("stopping…")
    unfinished = await stop_roles(started)
    if local is not None and started_broker:
        await asyncio.to_thread(local.stop)
        log.info("local Kafka stopped")
    if unfinished:
        # asyncio.run would wait for their cancelled tasks, which do not end (quadra/stopping.py).
        exit_now(0, f"exiting with {', '.join(unfinished)} not stopped in time")
    return 0


def _print_banner(
    settings: Settings,
    roles: frozenset[Role],
    bootstrap: str,
    api_url: str | None,
    demo_key: str | None,
) -> None:
    lines = [
        "",
        f"Quadra is running ({', '.join(sorted(r.value for r in roles))}).",
        f"  Kafka:       {bootstrap}",
        f"  ClickHouse:  {settings.clickhouse_url if settings.clickhouse_embedded else '(server)'}"
        f" database {settings.clickhouse_database}",
    ]
    if api_url:
        lines += [f"  API:         {api_url}", f"  API docs:    {api_url}/docs"]
    if Role.WORKER in roles:
        rules = "the built-in payout rules until staff publish a set" if settings.fraud_builtin_rules else "no rules"
        model = settings.fraud_model_dir or "none (QUADRA_FRAUD_MODEL_DIR)"
        lines += [f"  Fraud:       {rules}; model {model}   (docs/fraud.md)"]
    if api_url:
        lines += [
            f"  Back office: {api_url}/admin   (docs/back-office.md)",
            "  Staff:       quadra admin create-user --email E --name N --role admin, then sign in there",
        ]
    if demo_key:
        lines += [
            f"  Demo key:    {demo_key}   (sandbox company cmp_demo)",
            "",
            "Try it:",
            f"  curl -s -X POST {api_url}/v1/orders \\",
            f"    -H 'Authorization: Bearer {demo_key}' -H 'Idempotency-Key: demo-1' \\",
            "    -H 'Content-Type: application/json' \\",
            # A top-up, not a card transfer: a card number, even a test one, has no place in a log.
            '    -d \'{"product_id":"topup-de","amount":{"value":1500,"currency":"EUR"},'
            '"recipient":{"phone":"+4915112345678"},"end_user":{"id":"user-42"}}\'',
        ]
    lines += ["", "Stop with Ctrl-C.", ""]
    print("\n".join(lines), flush=True)
