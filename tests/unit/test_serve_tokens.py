"""Link tokens, links and page escaping of `steward serve` (no server needed)."""

from __future__ import annotations

import pytest

from flows.serve import links, tokens
from tests.conftest import make_config

SECRET = "unit-secret"


def test_token_round_trip_names_purpose_subject_and_an_id_per_issue():
    now = 1_790_000_000.0
    t1 = tokens.issue(SECRET, "alert.acknowledge", "al_123", 3600, now=now)
    c = tokens.verify(SECRET, t1, "alert.acknowledge", now=now)
    assert (c.purpose, c.subject) == ("alert.acknowledge", "al_123")
    # the same link issued as of the same moment is the same link (a replayed day writes the same
    # mail); issued for another day, or for another action, it is another link with its own id
    assert tokens.issue(SECRET, "alert.acknowledge", "al_123", 3600, now=now) == t1
    later = tokens.issue(SECRET, "alert.acknowledge", "al_123", 3600, now=now + 86400)
    other = tokens.issue(SECRET, "alert.resolve", "al_123", 3600, now=now)
    assert len({c.token_id, tokens.verify(SECRET, later, "alert.acknowledge", now=now).token_id,
                tokens.verify(SECRET, other, "alert.resolve", now=now).token_id}) == 3
    # by the wall clock (serve's own links), each link is fresh even for the same action
    t1, t2 = (tokens.issue(SECRET, "alert.acknowledge", "al_123", 3600) for _ in range(2))
    assert tokens.verify(SECRET, t1, "alert.acknowledge").token_id != tokens.verify(
        SECRET, t2, "alert.acknowledge").token_id


@pytest.mark.parametrize("mangle, reason", [
    (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "tampered"),   # signature changed
    (lambda t: "eyJwIjoidW5zdWJzY3JpYmUifQ" + t[t.index("."):], "tampered"),        # payload swapped
    (lambda t: t.split(".")[0], "tampered"),                                        # signature cut off
    (lambda t: "", "tampered"),
])
def test_altered_tokens_are_refused(mangle, reason):
    token = tokens.issue(SECRET, "task.done", "t_1", 3600)
    with pytest.raises(tokens.TokenError) as exc:
        tokens.verify(SECRET, mangle(token), "task.done")
    assert exc.value.reason == reason


def test_expired_wrong_purpose_and_other_secret_are_refused():
    with pytest.raises(tokens.TokenError) as exc:
        tokens.verify(SECRET, tokens.issue(SECRET, "task.done", "t_1", -1), "task.done")
    assert exc.value.reason == "expired"
    with pytest.raises(tokens.TokenError) as exc:
        tokens.verify(SECRET, tokens.issue(SECRET, "csm", "U001", 60), "account")
    assert exc.value.reason == "wrong_purpose"
    with pytest.raises(tokens.TokenError) as exc:
        tokens.verify("another-secret", tokens.issue(SECRET, "csm", "U001", 60), "csm")
    assert exc.value.reason == "tampered"


def test_missing_secret_is_one_clear_error_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(links.SECRET_ENV, raising=False)
    cfg = make_config(tmp_path / "ws", serve={"base_url": "https://cs.example.com"})
    with pytest.raises(links.LinkError, match="STEWARD_SERVE_SECRET is not set"):
        links.alert_action_links(cfg, "al_1")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / links.DEMO_MARKER).write_text("demo")
    assert links.alert_action_links(cfg, "al_1")[0][1].startswith("https://cs.example.com/a/")


def test_unsubscribe_headers_follow_rfc_8058(tmp_path, monkeypatch):
    monkeypatch.setenv(links.SECRET_ENV, SECRET)
    cfg = make_config(tmp_path / "ws", serve={"base_url": "https://cs.example.com/",
                                              "unsubscribe_mailto": "unsub@example.com"})
    headers = dict(links.unsubscribe_headers(cfg, "Ana@Example.com"))
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url, mailto = headers["List-Unsubscribe"].split(", ")
    assert url.startswith("<https://cs.example.com/u/") and mailto == "<mailto:unsub@example.com?subject=unsubscribe>"
    token = url[len("<https://cs.example.com/u/"):-1]
    assert tokens.verify(SECRET, token, "unsubscribe").subject == "ana@example.com"
    off = make_config(tmp_path / "ws2", serve={"base_url": None})
    assert links.unsubscribe_headers(off, "ana@example.com") == ()


def test_pages_escape_names(tmp_path):
    from flows.serve.app import templates

    env = templates(make_config(tmp_path / "ws")).env
    html = env.get_template("csm.html").render(
        person={"name": "<script>alert(1)</script>", "role": "csm"}, alerts=[], tasks=[], as_of=None,
        accounts=[{"account_id": "A1", "account_name": "<b>Evil</b> & Co", "segment": "smb", "health_score": None,
                   "health_band": None, "current_mrr": None, "journey_phase": None, "next_renewal_date": None}],
        account_link=lambda a: f"/account/{a}")
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    assert "not known" in html  # unknown health is said, never shown as 0
