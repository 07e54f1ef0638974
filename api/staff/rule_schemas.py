"""Wire schemas of the staff fraud rule routes."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt
from pydantic import StringConstraints, model_validator

from api.staff.rule_service import BUILT_IN, RuleDraft, RuleHistory, RuleSetView
from api.staff.rule_trials import MAX_TEST_ORDERS, Backtest, RuleTest
from detectors.rules.compile import MAX_EXPRESSION
from detectors.rules.model import MAX_POINTS, MAX_PRIORITY, Rule
from detectors.rules.trials import Tally
from domain.cards import contains_card_number
from domain.companies import COMPANY_ID
from streams.fraud_rules import PublishedSet, SavedRule

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tabs and newlines are fine


def _plain(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("control characters are not allowed")
    if contains_card_number(text):
        raise ValueError("looks like it holds a card number: leave it out")
    return text




RULE_ID = r"^[a-z][a-z0-9_]{0,63}$"
RuleId = Annotated[str, StringConstraints(strict=True, pattern=RULE_ID)]
Ref = Annotated[str, StringConstraints(strict=True, max_length=80, pattern=r"^[a-z][a-z0-9_]{0,63}@v[1-9][0-9]{0,9}$")]
Plain = AfterValidator(_plain)
Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200), Plain]
Expression = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_EXPRESSION), Plain]
Description = Annotated[str, StringConstraints(strict=True, max_length=2000), Plain]
Note = Annotated[str, StringConstraints(strict=True, max_length=1000), Plain]
Action = Literal["allow", "review", "decline", "score"]
Mode = Literal["active", "shadow"]
Points = Annotated[StrictInt, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
Priority = Annotated[StrictInt, Field(ge=-MAX_PRIORITY, le=MAX_PRIORITY)]
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
SetVersion = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
OrderId = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_\-]{1,80}$")]
CompanyId = Annotated[str, StringConstraints(strict=True, pattern=COMPANY_ID.pattern)]
SampleValue = StrictBool | StrictInt | StrictFloat | Annotated[str, StringConstraints(strict=True, max_length=256)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ValidateIn(_In):
    expression: Expression


class ValidateOut(BaseModel):
    valid: bool = True
    names: list[str] = Field(description="The features and order attributes the expression reads")


class RuleCreateIn(_In):
    id: RuleId
    name: Name
    expression: Expression
    action: Action
    points: Points = 0
    priority: Priority = 0
    mode: Mode = "active"
    description: Description = ""

    def draft(self) -> RuleDraft:
        return RuleDraft(self.name, self.expression, self.action, self.points, self.priority, self.mode,
                         self.description)  # fmt: skip


class RuleVersionIn(_In):
    """A new version: fields left out keep the base version's values."""

    base_version: Version = Field(description="The latest version you edited; 409 if another was saved since")
    name: Name | None = None
    expression: Expression | None = None
    action: Action | None = None
    points: Points | None = None
    priority: Priority | None = None
    mode: Mode | None = None
    description: Description | None = None

    def draft(self) -> RuleDraft:
        return RuleDraft(self.name, self.expression, self.action, self.points, self.priority, self.mode,
                         self.description)  # fmt: skip


class RuleVersionOut(BaseModel):
    id: str
    version: int
    ref: str
    name: str
    expression: str
    action: str
    points: int
    priority: int
    mode: str
    description: str
    saved_by: str
    saved_at: datetime | None = Field(description="None for a built-in default rule")

    @classmethod
    def from_saved(cls, s: SavedRule) -> RuleVersionOut:
        r = s.rule
        return cls(**r.to_dict(), ref=r.ref, saved_by=s.saved_by,
                   saved_at=None if s.saved_by == BUILT_IN else s.saved_at)  # fmt: skip


class RuleOut(BaseModel):
    id: str
    in_force_version: int | None = Field(description="The version the set in force uses; None: not in it")
    latest: RuleVersionOut
    versions: list[RuleVersionOut]

    @classmethod
    def from_history(cls, h: RuleHistory) -> RuleOut:
        versions = [RuleVersionOut.from_saved(s) for s in h.versions]
        return cls(id=h.id, in_force_version=h.in_force, latest=versions[-1], versions=versions)


class RuleList(BaseModel):
    set_in_force: int
    data: list[RuleOut]


class RuleTestIn(_In):
    """Exactly one of `order_ids` (stored decisions) or `samples` (name → value)."""

    version: Version | None = None
    order_ids: list[OrderId] | None = Field(None, min_length=1, max_length=MAX_TEST_ORDERS)
    samples: list[Annotated[dict[str, SampleValue], Field(max_length=128)]] | None = Field(
        None, min_length=1, max_length=MAX_TEST_ORDERS
    )

    @model_validator(mode="after")
    def _one(self) -> RuleTestIn:
        if (self.order_ids is None) == (self.samples is None):
            raise ValueError("send exactly one of order_ids and samples")
        return self


class TestedOrderOut(BaseModel):
    order_id: str
    fired: bool
    values: dict[str, Any]
    stored_outcome: str


class RuleTestOut(BaseModel):
    rule: str
    orders: list[TestedOrderOut]
    missing: list[str] = Field(description="Order ids without a stored decision")

    @classmethod
    def from_test(cls, t: RuleTest) -> RuleTestOut:
        orders = [TestedOrderOut(order_id=o.order_id, fired=o.fired, values=o.values, stored_outcome=o.stored_outcome)
                  for o in t.orders]  # fmt: skip
        return cls(rule=t.rule.ref, orders=orders, missing=list(t.missing))


class BacktestIn(_In):
    version: Version | None = None
    period_from: AwareDatetime = Field(alias="from")
    period_to: AwareDatetime = Field(alias="to")
    company_id: CompanyId | None = None


class TallyOut(BaseModel):
    rule: str
    mode: str
    hits: int
    hits_per_day: dict[date, int]
    confirmed_frauds_hit: int
    precision: float | None = Field(description="Of the hits, the share confirmed fraud; None without hits")
    recall: float | None = Field(description="Of the confirmed frauds, the share hit; None without frauds")

    @classmethod
    def from_tally(cls, rule: Rule, t: Tally) -> TallyOut:
        return cls(
            rule=rule.ref, mode=rule.mode.value, hits=t.hits, hits_per_day=dict(sorted(t.per_day.items())),
            confirmed_frauds_hit=t.hit_frauds, precision=t.precision, recall=t.recall,
        )  # fmt: skip


class BacktestOut(BaseModel):
    period_from: datetime = Field(serialization_alias="from")
    period_to: datetime = Field(serialization_alias="to")
    company_id: str | None
    decisions: int
    confirmed_frauds: int
    candidate: TallyOut
    in_force: TallyOut | None = Field(description="The version of this rule in force, over the same orders")

    @classmethod
    def from_backtest(cls, b: Backtest) -> BacktestOut:
        in_force = None
        if b.in_force is not None and b.in_force_tally is not None:
            in_force = TallyOut.from_tally(b.in_force, b.in_force_tally)
        return cls(
            period_from=b.period.start, period_to=b.period.end, company_id=b.period.company_id,
            decisions=b.decisions, confirmed_frauds=b.tally.frauds, candidate=TallyOut.from_tally(b.rule, b.tally),
            in_force=in_force,
        )  # fmt: skip


class PublishIn(_In):
    """Exactly one of `rules` (the whole set) or `set` (changes to the set in force: a version,
    or null to leave the rule out)."""

    rules: list[Ref] | None = Field(None, max_length=500)
    changes: dict[RuleId, Version | None] | None = Field(None, alias="set", max_length=500)
    note: Note = ""
    base_set: SetVersion = Field(description="The set in force you edited; 409 if another was published since")

    @model_validator(mode="after")
    def _one(self) -> PublishIn:
        if (self.rules is None) == (self.changes is None):
            raise ValueError("send exactly one of rules and set")
        return self


class RollbackIn(_In):
    to_set: SetVersion
    note: Note = ""
    base_set: SetVersion | None = None


class RuleSetOut(BaseModel):
    version: int
    refs: list[str]
    published_by: str
    published_at: datetime | None
    note: str
    in_force: bool

    @classmethod
    def from_view(cls, v: RuleSetView) -> RuleSetOut:
        return cls(version=v.version, refs=list(v.refs), published_by=v.published_by, published_at=v.published_at,
                   note=v.note, in_force=v.in_force)  # fmt: skip

    @classmethod
    def from_published(cls, p: PublishedSet) -> RuleSetOut:
        """A set this request just published: the one in force."""
        return cls(version=p.version, refs=list(p.refs), published_by=p.published_by, published_at=p.published_at,
                   note=p.note, in_force=True)  # fmt: skip


class RuleSetList(BaseModel):
    in_force: int
    data: list[RuleSetOut]
