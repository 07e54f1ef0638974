"""The feature vector's layout: one name per column, in the order the state writes them.

Models store these names in their manifest and refuse a matrix built with another layout.
"""

from __future__ import annotations

from detectors.features.windows import DISTINCT_WINDOWS, RISK_WINDOWS, VELOCITY_WINDOWS

# Keys with velocity counters. Phones and emails are recipients, so they count as `rcpt`.
ENTITIES = ("user", "rcpt", "device", "ip")

_ORDER = ("amount", "hour", "weekday", "is_weekend", "is_night", "rcpt_is_card", "rcpt_is_phone")
_VELOCITY = tuple(
    f"{entity}_{stat}_{w.name}"
    for entity in ENTITIES
    for w in VELOCITY_WINDOWS
    for stat in ("count", "sum")
)
_HISTORY = (
    "user_mean_7d",
    "user_mean_30d",
    "user_amount_ratio_7d",
    "user_amount_ratio_30d",
    "user_amount_z_30d",
    # Against the user's typical amount: the 30 d mean of its payouts that were not outliers
    # (above OUTLIER_RATIO × typical), so a run of inflated payouts does not hide itself.
    "user_amount_ratio_typical",
    "user_outliers_7d",  # the user's outlier payouts over 7 d, before this one
)
OUTLIER_RATIO = 3
_DISTINCT = (
    *(f"user_distinct_rcpt_{w.name}" for w in DISTINCT_WINDOWS),
    *(f"rcpt_distinct_users_{w.name}" for w in DISTINCT_WINDOWS),
    "user_rcpt_new",  # this end user has not paid this recipient within 30 days
    "rcpt_age_days",  # since this recipient was first seen (within the state's memory)
)
_RISK = (
    *(f"rcpt_risk_count_{w.name}" for w in RISK_WINDOWS),
    *(f"rcpt_risk_frauds_{w.name}" for w in RISK_WINDOWS),
    *(f"rcpt_risk_ratio_{w.name}" for w in RISK_WINDOWS),
    # Days from the recipient's last fraud whose label is already usable (>= delay old) to
    # the order's time minus the delay; NO_FRAUD_YET when there is none.
    "rcpt_days_since_known_fraud",
    # How many of the recipient's latest usable labels in a row are frauds: a compromised
    # recipient turns every payout into fraud, a stray fraud is followed by genuine ones.
    "rcpt_known_fraud_streak",
)
NO_FRAUD_YET = 999.0

FEATURE_NAMES: tuple[str, ...] = (*_ORDER, *_VELOCITY, *_HISTORY, *_DISTINCT, *_RISK)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
