"""One validated configuration: steward.yml loaded into pydantic models, env overrides applied.

Built once at the edge (CLI or flow entry) and passed down. Secrets are read from the environment
only and never printed. One module per section of steward.yml; the pydantic classes are the only
source of defaults (dbt gets every var it reads from `Config.dbt_vars`). Import from here:
`from flows.config import Config, load_config`.
"""

from flows.config.base import (REPO_ROOT, DBT_PROJECT_DIR, DEFAULT_CONFIG_FILE, ENV_PREFIX, ConfigError,
                               EmailAddress, SEGMENTS, Segment, Phase)
from flows.config.paths import Paths
from flows.config.alerts import (Severity, AlertRule, RenewalAlerts, HealthDipAlert, HealthTrendAlert,
                                 TouchpointTrendAlert, ChampionLostAlert, MrrDipAlert, ChurnToleranceAlert, FeatureDipAlert, TaskDueAlert,
                                 TaskOverdueAlert, CsmLateTasksAlert, PaymentOverdueAlert, ChurnRiskAlert, Alerts)
from flows.config.journey import PHASES, Journey
from flows.config.playbooks import ROLES, PlaybookTrigger, PlaybookStep, Playbook
from flows.config.ownership import Ownership
from flows.config.campaigns import (CAMPAIGN_PLACEHOLDERS, AUTOMATIC_CAMPAIGNS, CampaignRecipient, CampaignEmail,
                                    SendWindow, WelcomeCampaign, SequenceStep, OnboardingSequence, PooledReachOut, CampaignAudience, BulkCampaign,
                                    Campaigns)
from flows.config.delivery import Recipients, SendGrid, DeliverySafety, Delivery
from flows.config.reports import ReportSettings, Reports
from flows.config.revenue import Revenue
from flows.config.health import HEALTH_COMPONENTS, HealthBands, Health
from flows.config.surveys import (SURVEY_KINDS, SurveyEmail, NpsSurvey, OnboardingSurvey, SurveyAudience,
                                  AdhocSurvey, Surveys)
from flows.config.sources import Enumerations, Actions, SourceMapping
from flows.config.runtime import Dbt, DuckDbSettings, RunSettings, Publish, Serve, ModelBands, ModelSettings
from flows.config.root import Config
from flows.config.env import PATH_ALIASES, env_overrides
from flows.config.loading import load_config

__all__ = [
    "REPO_ROOT", "DBT_PROJECT_DIR", "DEFAULT_CONFIG_FILE", "ENV_PREFIX", "ConfigError", "EmailAddress",
    "SEGMENTS", "Segment", "Phase", "Paths", "Severity", "AlertRule", "RenewalAlerts", "HealthDipAlert",
    "HealthTrendAlert", "TouchpointTrendAlert", "ChampionLostAlert", "MrrDipAlert", "ChurnToleranceAlert",
    "FeatureDipAlert", "TaskDueAlert", "TaskOverdueAlert", "CsmLateTasksAlert", "PaymentOverdueAlert",
    "ChurnRiskAlert", "Alerts", "PHASES", "Journey", "ROLES", "PlaybookTrigger", "PlaybookStep", "Playbook",
    "Ownership", "CAMPAIGN_PLACEHOLDERS", "AUTOMATIC_CAMPAIGNS", "CampaignRecipient", "CampaignEmail",
    "SendWindow", "WelcomeCampaign", "SequenceStep", "OnboardingSequence", "PooledReachOut", "CampaignAudience",
    "BulkCampaign", "Campaigns", "Recipients", "SendGrid", "DeliverySafety", "Delivery", "ReportSettings",
    "Reports", "Revenue", "HEALTH_COMPONENTS", "HealthBands", "Health", "SURVEY_KINDS", "SurveyEmail",
    "NpsSurvey", "OnboardingSurvey", "SurveyAudience", "AdhocSurvey", "Surveys", "Enumerations", "Actions",
    "SourceMapping", "Dbt", "DuckDbSettings", "RunSettings", "Publish", "Serve", "ModelBands", "ModelSettings",
    "Config", "PATH_ALIASES", "env_overrides", "load_config",
]
