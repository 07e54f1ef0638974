"""Per-order features from streaming state per company (velocity, distinct, history, delayed risk)."""

from detectors.features.facts import OrderFacts, facts_from_order, keyed_token
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES
from detectors.features.state import DEFAULT_LABEL_DELAY, CompanyFeatures, FeatureState

__all__ = [
    "DEFAULT_LABEL_DELAY",
    "FEATURE_INDEX",
    "FEATURE_NAMES",
    "CompanyFeatures",
    "FeatureState",
    "OrderFacts",
    "facts_from_order",
    "keyed_token",
]
