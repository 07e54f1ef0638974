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

ALL_TOPICS: tuple[TopicSpec, ...] = (
    ORDERS_REQUESTED,
    ORDERS_DECIDED,
    ORDERS_EVENTS,
    INTAKE_REPLIES,
    REQUESTS_LOG,
    API_KEYS,
)


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Concrete names under a prefix (tests isolate by prefix)."""

    prefix: str = ""

    def __call__(self, spec: TopicSpec) -> str:
        return f"{self.prefix}{spec.name}"


def partition_count(spec: TopicSpec, partitions: int) -> int:
    return 1 if spec.single_partition else partitions
