"""Campaign settings are validated at load; templates fill placeholders and escape names in HTML."""

from datetime import date

import pytest

from flows.actions.campaigns import _like, filled, render_campaign
from flows.config import DEFAULT_CONFIG_FILE, ConfigError, SendWindow, load_config


def test_shipped_config_has_the_campaigns_and_the_onboarding_playbook_no_longer_greets():
    cfg = load_config(DEFAULT_CONFIG_FILE, environ={})
    c = cfg.campaigns
    assert [s.day for s in c.onboarding_sequence.steps] == [0, 7, 30]
    assert c.pooled_reach_out.every_days == 45 and c.pooled_reach_out.segments == ["smb"]
    assert [b.name for b in c.bulk] == ["feature_sso"]
    onboarding = next(p for p in cfg.playbooks if p.name == "onboarding")
    # campaigns.welcome greets the customer; a second welcome from the playbook would greet twice
    assert all(step.email_subject is None for step in onboarding.steps)
    assert cfg.dbt_vars()["campaigns"]["onboarding_sequence"]["days"] == [0, 7, 30]


@pytest.mark.parametrize(
    "campaigns, key, expected",
    [
        ({"welcome": {"subject": "Hi {first_name}"}}, "campaigns.welcome.subject", "unknown placeholder(s) {first_name}"),
        ({"send_window_utc": {"start_hour": 9, "end_hour": 9}}, "campaigns.send_window_utc", "never (or always)"),
        ({"send_window_utc": {"start_hour": 25}}, "campaigns.send_window_utc.start_hour", "less than or equal to 23"),
        ({"max_per_run": 0}, "campaigns.max_per_run", "greater than or equal to 1"),
        ({"onboarding_sequence": {"steps": [{"day": 7, "subject": "a", "body": "b"},
                                            {"day": 7, "subject": "c", "body": "d"}]}},
         "campaigns.onboarding_sequence.steps", "distinct"),
        ({"bulk": [{"name": "welcome", "subject": "a", "body": "b"}]}, "campaigns.bulk.0.name", "automatic campaign"),
        ({"bulk": [{"name": "x", "subject": "a", "body": "b", "audience": {"segments": ["huge"]}}]},
         "campaigns.bulk.0.audience.segments.0", "'enterprise'"),
        ({"bulk": [{"name": "x", "subject": "a", "body": "b"}, {"name": "x", "subject": "a", "body": "b"}]},
         "campaigns.bulk", "repeated: x"),
    ],
)
def test_bad_campaign_settings_name_the_key(campaigns, key, expected):
    with pytest.raises(ConfigError) as err:
        load_config(overrides={"campaigns": campaigns}, environ={})
    assert f"`{key}`" in str(err.value) and expected in str(err.value)


def test_send_window_hours_including_one_across_midnight():
    day = SendWindow(start_hour=6, end_hour=20)
    assert [h for h in range(24) if day.is_open(h)] == list(range(6, 20))
    night = SendWindow(start_hour=22, end_hour=3)
    assert [h for h in range(24) if night.is_open(h)] == [0, 1, 2, 22, 23]
    assert all(SendWindow().is_open(h) for h in range(24))


def test_placeholders_are_filled_and_names_escaped_in_html_only():
    cfg = load_config(environ={})
    subject, body = filled(cfg.campaigns.welcome, "Ana <Admin>", "Beta <b>Labs</b> & Co", "Casey")
    assert subject == "Welcome aboard, Ana <Admin>"
    text, html = render_campaign(subject, body, date(2026, 6, 30))
    assert "Beta <b>Labs</b> & Co" in text and "Hello Ana <Admin>," in text
    assert "Beta &lt;b&gt;Labs&lt;/b&gt; &amp; Co" in html and "<b>Labs</b>" not in html
    assert "Ana &lt;Admin&gt;" in html and html.count("<p>") == 3  # one paragraph per blank-line block
    assert "unsubscribe" in text and "unsubscribe" in html
    # a contact without a name is greeted, not called "None"
    assert filled(cfg.campaigns.welcome, None, "X", "Y")[1].startswith("Hello there,")


def test_role_patterns_are_case_insensitive_with_star_wildcards_only():
    assert _like("*Admin*") == "%admin%"
    assert _like("IT_Admin 100%") == "it\\_admin 100\\%"
