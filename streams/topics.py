"""Every topic Quadra uses, in one place. Partitioned topics are keyed by company_id and
share one partition count, so a company's commands and events meet in one worker."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    compacted: bool = False
    single_partition: bool = False  # small control topics read whole by every process
    configs: dict[str, str] = field(default_factory=dict)


ORDERS_REQUESTED = TopicSpec("orders.requested")
ORDERS_DECIDED = TopicSpec("orders.decided")
ORDERS_EVENTS = TopicSpec("orders.events")
INTAKE_REPLIES = TopicSpec("intake.replies", configs={"retention.ms": str(6 * 3600 * 1000)})
REQUESTS_LOG = TopicSpec("requests.log")
API_KEYS = TopicSpec("companies.api_keys", compacted=True, single_partition=True)
_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
_SHORT = {"retention.ms": str(6 * 3600 * 1000)}

# Money: the ledger agent is the single writer of balances (one company = one partition).
BALANCE_COMMANDS = TopicSpec("balance.commands")  # staff and API → ledger
PAYOUTS_REQUESTED = TopicSpec("payouts.requested")  # ledger (reserved orders) → dispatch
PAYOUTS_RESULTS = TopicSpec("payouts.results")  # dispatch → ledger (capture or release)
LEDGER_ENTRIES = TopicSpec("ledger.entries", configs=_FOREVER)  # the books, kept forever
BALANCES = TopicSpec("balances", compacted=True)  # latest balance sheet per company
LEDGER_STATE = TopicSpec("ledger.state", compacted=True)  # the ledger agent's own state
INTAKE_STATE = TopicSpec("intake.state", compacted=True)  # idempotency entries per company
AUDIT_STATE = TopicSpec("audit.state", compacted=True)  # each audit chain's head and links
COMMAND_REPLIES = TopicSpec("commands.replies", configs=_SHORT)  # verdicts for waiting callers
PARTNER_EVENTS = TopicSpec("partner.events")  # what partners are told: balance.low, order.*

# Registry: companies and staff, one writer each, read whole by every process.
COMPANY_COMMANDS = TopicSpec("companies.commands")
COMPANIES = TopicSpec("companies", compacted=True)
STAFF_COMMANDS = TopicSpec("staff.commands", single_partition=True)
STAFF_USERS = TopicSpec("staff.users", compacted=True, single_partition=True)
# The product catalog, keyed by product id: staff edit it, every API node and dispatch read it.
CATALOG_PRODUCTS = TopicSpec("catalog.products", compacted=True, single_partition=True)

# Webhooks: the notify agent's pending deliveries (keyed by message id, in the company's
# partition), its delivery log (every attempt, for the sink) and staff replay requests.
WEBHOOKS_REPLAYS = TopicSpec("webhooks.replays")
WEBHOOKS_STATE = TopicSpec("webhooks.state", compacted=True)
WEBHOOKS_ATTEMPTS = TopicSpec("webhooks.attempts")

# Audit: staff actions and API-key uses, hash-chained per partition by the audit agent.
AUDIT_EVENTS = TopicSpec("audit.events")
AUDIT_LOG = TopicSpec("audit.log", configs=_FOREVER)

# Fraud: the facts the intake's features were fed (replayed to rebuild them; kept a little
# longer than the longest feature horizon), a decision per new order (for the decisions
# table), analysts' review commands (to the intake that owns the order), and the lists and
# published rules every worker reads whole.
FRAUD_FACTS = TopicSpec("fraud.facts", configs={"retention.ms": str(45 * 86400 * 1000)})
FRAUD_DECISIONS = TopicSpec("fraud.decisions")
FRAUD_REVIEWS = TopicSpec("fraud.reviews")
FRAUD_LISTS = TopicSpec("fraud.lists", compacted=True, single_partition=True)
FRAUD_RULES = TopicSpec("fraud.rules", compacted=True, single_partition=True)
FRAUD_CASES = TopicSpec("fraud.cases", configs=_FOREVER)  # case events: opened, assigned, notes…

# Mass payouts: each batch's header and its rejected lines, kept for good (the orders its good
# lines became carry the batch id: api/batch_service.py says where a batch lives).
BATCHES = TopicSpec("batches", compacted=True)
BATCH_LINES = TopicSpec("batches.lines", compacted=True)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    ORDERS_REQUESTED,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    INTAKE_REPLIES,
    REQUESTS_LOG,
    API_KEYS,
    BALANCE_COMMANDS,
    PAYOUTS_REQUESTED,
    PAYOUTS_RESULTS,
    LEDGER_ENTRIES,
    BALANCES,
    LEDGER_STATE,
    INTAKE_STATE,
    AUDIT_STATE,
    COMMAND_REPLIES,
    PARTNER_EVENTS,
    COMPANY_COMMANDS,
    COMPANIES,
    STAFF_COMMANDS,
    STAFF_USERS,
    CATALOG_PRODUCTS,
    AUDIT_EVENTS,
    AUDIT_LOG,
    WEBHOOKS_REPLAYS,
    WEBHOOKS_STATE,
    WEBHOOKS_ATTEMPTS,
    FRAUD_FACTS,
    FRAUD_DECISIONS,
    FRAUD_REVIEWS,
    FRAUD_LISTS,
    FRAUD_RULES,
    FRAUD_CASES,
    BATCHES,
    BATCH_LINES,
)


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Concrete names under a prefix (tests isolate by prefix)."""

    prefix: str = ""

    def __call__(self, spec: TopicSpec) -> str:
        return f"{self.prefix}{spec.name}"


def partition_count(spec: TopicSpec, partitions: int) -> int:
    return 1 if spec.single_partition else partitions
