"""Links into `steward serve` for emails: signed with STEWARD_SERVE_SECRET, rooted at serve.base_url.

Email code calls these; when serve.base_url is unset they return None and emails carry no links.
"""

from __future__ import annotations

import os
from datetime import datetime
from urllib.parse import quote

from flows.config import Config, ConfigError
from flows.serve import tokens

SECRET_ENV = "STEWARD_SERVE_SECRET"
DEMO_MARKER = ".steward-demo"  # flows/cli/demo.py writes it into `steward demo` workspaces
# Public on purpose: a demo workspace's links work without setup. Never used outside a demo.
DEMO_SECRET = "steward-demo-secret-not-for-production"
DAY = 86400


class LinkError(ConfigError):
    """Links cannot be made or checked (no secret); said in one line."""


def secret(config: Config) -> str:
    """The signing secret from the environment (a demo workspace falls back to a public one)."""
    value = os.environ.get(SECRET_ENV, "").strip()
    if value:
        return value
    if (config.path("workspace") / DEMO_MARKER).exists():
        return DEMO_SECRET
    raise LinkError(f"{SECRET_ENV} is not set: it signs the links that emails carry to serve.base_url "
                    f"({config.serve.base_url}); set it to a long random string (the same for `steward run` "
                    "and `steward serve`), or unset serve.base_url in steward.yml for emails without links")


def enabled(config: Config) -> bool:
    return bool(config.serve.base_url)


def check(config: Config) -> None:
    """Fail early (at the start of a run) when links are on and the secret is missing."""
    if enabled(config):
        secret(config)


def _url(config: Config, path: str) -> str:
    return config.serve.base_url.rstrip("/") + path


# A link's lifetime is real time (a CSM clicks it days later), so a run issues its links at its
# scheduled time, the time it stands for (passed in, like the send window): a replayed run writes
# the same emails. Outside a run (serve's own page links) the wall clock.
_ISSUED_AT: dict[str, float | None] = {"now": None}


def issue_at(when: datetime | None) -> None:
    """Issue the links this process makes from now on at `when` (None: the wall clock)."""
    _ISSUED_AT["now"] = None if when is None else when.timestamp()


def _signed(config: Config, purpose: str, subject: str, days: int, prefix: str) -> str | None:
    if not enabled(config):
        return None
    token = tokens.issue(secret(config), purpose, subject, days * DAY, now=_ISSUED_AT["now"])
    return _url(config, f"{prefix}/{token}")


def survey_url(config: Config, invitation_token: str, score: int | None = None) -> str | None:
    """The response page of one invitation (its own random token), optionally with a score picked."""
    if not enabled(config):
        return None
    return _url(config, f"/s/{quote(invitation_token)}") + ("" if score is None else f"?score={score}")


def unsubscribe_url(config: Config, email: str) -> str | None:
    return _signed(config, "unsubscribe", email.strip().lower(), config.serve.unsubscribe_link_days, "/u")


def alert_action_url(config: Config, alert_id: str, action: str) -> str | None:
    """action: acknowledge, snooze or resolve."""
    return _signed(config, f"alert.{action}", alert_id, config.serve.action_link_days, "/a")


def alert_action_links(config: Config, alert_id: str) -> list[tuple[str, str]]:
    """[(button label, url)] for an alert digest; empty when links are off."""
    if not enabled(config):
        return []
    return [(label, alert_action_url(config, alert_id, action))
            for label, action in (("Acknowledge", "acknowledge"), ("Snooze 7 days", "snooze"),
                                  ("Resolve", "resolve"))]


def task_done_url(config: Config, task_id: str) -> str | None:
    return _signed(config, "task.done", task_id, config.serve.action_link_days, "/t")


def csm_page_url(config: Config, user_id: str) -> str | None:
    return _signed(config, "csm", user_id, config.serve.page_link_days, "/csm")


def account_page_url(config: Config, account_id: str) -> str | None:
    return _signed(config, "account", account_id, config.serve.page_link_days, "/account")


def unsubscribe_headers(config: Config, email: str) -> tuple[tuple[str, str], ...]:
    """RFC 8058 one-click unsubscribe headers for one marketing email (none when links are off)."""
    url = unsubscribe_url(config, email)
    if url is None:
        return ()
    targets = [f"<{url}>"] + ([f"<mailto:{config.serve.unsubscribe_mailto}?subject=unsubscribe>"]
                              if config.serve.unsubscribe_mailto else [])
    return (("List-Unsubscribe", ", ".join(targets)), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
