"""The health settings the floor and the peer compute with: Steward's defaults (steward.yml health)."""

HISTORY_DAYS = 365
KEY_FEATURES = ("dashboards", "reports", "api", "integrations", "alerts", "workflows")
STICKY_FEATURES = ("api", "integrations", "workflows")
