"""Surveys through the daily flow: real ingest, quality gate, dbt build and Prefect runs.

A hand-made workspace (the minimal fixture plus contacts and one landed NPS answer) goes through
day 1, day 1 again, day 2 (A4 leaves onboarding) and day 3 (answers imported with their tokens and
one landed without a token). A copy of the generated workspace shows imported detractor answers
moving one account's sentiment component and health score at the same as_of.
"""

import csv
import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIXTURES, GENERATED_AS_OF, make_config
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration

DAY1, DAY2, DAY3 = date(2026, 3, 15), date(2026, 5, 20), date(2026, 5, 25)
SURVEYS = {"nps": {"max_per_run": 2}}
SURVEY_COUNTS = ("select (select count(*) from ops.survey_invitations), "
                 "(select count(*) from ops.outbox where starts_with(category, 'survey_'))")

CONTACTS = [
    # contact_id, account_id, email, name, role, is_champion, is_primary, left_at, unsubscribed_at
    ("C11", "A1", "ann@acme.example", "Ann Admin", "IT Admin", "false", "true", "", ""),
    ("C12", "A1", "cam@acme.example", "Cam Champion", "Head of Data", "true", "false", "", ""),
    ("C13", "A1", "lee@acme.example", "Lee Left", "Analyst", "false", "false", "2026-01-10 09:00:00", ""),
    ("C14", "A1", "uma@acme.example", "Uma Unsub", "Analyst", "false", "false", "", "2026-02-01 09:00:00"),
    ("C15", "A1", "sam@acme.example", "Sam Suppressed", "Analyst", "false", "false", "", ""),
    ("C21", "A2", "bo@beta.example", "Bo <b>Bold</b> & Sons", "CTO", "false", "true", "", ""),
    ("C22", "A2", "al@beta.example", "Al Answered", "Analyst", "false", "false", "", ""),
    ("C31", "A3", "gi@gamma.example", "Gi Gamma", "COO", "false", "true", "", ""),
    ("C41", "A4", "dee@delta.example", "Dee <script>alert(1)</script>", "CTO", "false", "true", "", ""),
]


def _write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def invitations(cfg, where="true"):
    return q(cfg, f"select survey, contact_id, sent_as_of, token, response_id, score from ops.survey_invitations "
                  f"where {where} order by sent_as_of, survey, contact_id")


def import_cli(cfg, path):
    return CliRunner().invoke(app, ["survey", "import", str(path), "--workspace", str(cfg.path("workspace")),
                                    "--landing", str(cfg.path("landing"))])


@pytest.fixture(scope="module")
def scenario(prefect_harness, tmp_path_factory):
    from flows.daily_run import daily_run_for
    from flows.delivery.outbox import suppress
    from flows.warehouse import session

    root = tmp_path_factory.mktemp("surveys")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing" / "minimal", landing)
    _write_csv(landing / "crm" / "contacts.csv", ["contact_id", "account_id", "email", "name", "role",
                                                  "is_champion", "is_primary", "left_at", "unsubscribed_at"], CONTACTS)
    _write_csv(landing / "surveys" / "survey_responses.csv",
               ["response_id", "account_id", "contact_id", "survey", "score", "comment", "responded_at"],
               [("R1", "A2", "C22", "nps", "9", "", "2026-01-05 10:00:00")])
    cfg = make_config(root / "ws", landing, surveys=SURVEYS)
    with session(cfg.path("warehouse")) as con:
        suppress(con, "Sam@Acme.example", "bounce", "test")
    steps = {"cfg": cfg, "day1": daily_run_for(cfg, DAY1), "inv_day1": invitations(cfg)}
    steps["counts_day1"] = q(cfg, SURVEY_COUNTS)
    steps["rerun"] = daily_run_for(cfg, DAY1)
    steps["counts_rerun"] = q(cfg, SURVEY_COUNTS)
    steps["phases_day1"] = dict(q(cfg, "select account_id, phase from ops.account_phase_history where exited_as_of is null"))
    steps["day2"] = daily_run_for(cfg, DAY2)
    steps["inv_day2"] = invitations(cfg)
    steps["phases_day2"] = dict(q(cfg, "select account_id, phase from ops.account_phase_history where exited_as_of is null"))
    steps["health_day2"] = dict(q(cfg, "select account_id, sentiment_score from marts.fct_account_health_daily "
                                       "where health_date = ?", [DAY2]))
    return steps


def test_nps_invites_each_reachable_contact_once_within_the_cap(scenario):
    day1 = scenario["inv_day1"]
    # C13 left, C14 unsubscribed, C15's address is suppressed, C22 answered NPS in January,
    # A4 is onboarding: the due ones are C11, C12, C21, C31; the champion C12 goes first.
    assert [(s, d) for s, _, d, *_ in day1] == [("nps", DAY1)] * 2
    assert day1[0][1] == "C12" or day1[1][1] == "C12"
    assert scenario["day1"]["surveys"]["invited"] == {"nps": 2}
    assert scenario["day1"]["surveys"]["not_yet"] == {"nps": 2}
    # the rerun of day 1 adds no invitation and no email: the cap counts what day 1 sent
    assert scenario["counts_rerun"] == scenario["counts_day1"]
    assert scenario["rerun"]["surveys"]["invited"] == {}


def test_day2_invites_the_rest_never_the_excluded_never_twice(scenario):
    rows = scenario["inv_day2"]
    nps = [c for s, c, *_ in rows if s == "nps"]
    assert sorted(nps) == ["C11", "C12", "C21", "C31"] and len(set(nps)) == len(nps)
    assert not {"C13", "C14", "C15", "C22"} & {c for _, c, *_ in rows}
    tokens = [r[3] for r in rows]
    assert all(len(t) >= 24 for t in tokens) and len(set(tokens)) == len(tokens)  # random, 144 bits each


def test_onboarding_survey_goes_to_the_primary_contact_when_onboarding_ends_once(scenario):
    assert scenario["phases_day1"]["A4"] == "onboarding" and scenario["phases_day2"]["A4"] != "onboarding"
    onboarding = [(c, d) for s, c, d, *_ in scenario["inv_day2"] if s == "onboarding"]
    assert onboarding == [("C41", DAY2)]
    # C41 is due NPS too now that A4 left onboarding, but was just surveyed: no second email
    assert "C41" not in [c for s, c, *_ in scenario["inv_day2"] if s == "nps"]
    assert scenario["day2"]["surveys"]["invited"] == {"nps": 2, "onboarding": 1}


def test_invitation_emails_carry_the_token_links_and_escape_names(scenario):
    cfg = scenario["cfg"]
    (token,) = [t for s, c, _, t, *_ in scenario["inv_day2"] if c == "C41"]
    text, html, subject = q(cfg, "select text_body, html_body, subject from ops.outbox "
                                 "where category = 'survey_onboarding'")[0]
    for score in range(1, 6):  # steward serve's response page (serve.base_url)
        assert f"http://127.0.0.1:8765/s/{token}?score={score}" in text
        assert f'href="http://127.0.0.1:8765/s/{token}?score={score}"' in html
    assert f"http://127.0.0.1:8765/s/{token}\n" in text and f'href="http://127.0.0.1:8765/s/{token}"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    (bo_html,) = q(cfg, "select html_body from ops.outbox o join ops.survey_invitations i "
                        "on o.idempotency_key = i.message_key where i.contact_id = 'C21'")[0]
    assert "Bo &lt;b&gt;Bold&lt;/b&gt; &amp; Sons" in bo_html and "Beta &lt;b&gt;Labs&lt;/b&gt; &amp; Co" in bo_html
    eml = sorted(cfg.path("outbox").rglob("survey_onboarding__*.eml"))
    assert len(eml) == 1 and token in eml[0].read_text().replace("=\n", "")


@pytest.fixture(scope="module")
def answered(scenario, tmp_path_factory):
    """Day 3: a bad file is refused, a good one imported (twice), one answer lands without a token."""
    from flows.daily_run import daily_run_for

    cfg, rows = scenario["cfg"], scenario["inv_day2"]
    token = {c: t for s, c, _, t, *_ in rows}
    day2_nps = sorted(c for s, c, d, *_ in rows if s == "nps" and d == DAY2)
    files = tmp_path_factory.mktemp("answers")
    bad = files / "bad.csv"
    _write_csv(bad, ["token", "score", "comment", "responded_at"],
               [(token["C12"], "11", "", "2026-03-20"), ("not-a-token", "5", "", "2026-05-22"),
                (token["C41"], "4", "", "22/05/2026")])
    good = files / "answers.csv"
    _write_csv(good, ["token", "score", "comment", "responded_at"],
               [(token["C12"], "2", "Slow, \"flaky\" exports", "2026-03-20T09:30:00Z"),
                (token["C41"], "4", "", "2026-05-22")])
    out = {"bad": import_cli(cfg, bad), "good": import_cli(cfg, good)}
    out["again_before_run"] = import_cli(cfg, good)
    # an answer landed by another tool, no token: it matches day2_nps[0]'s invitation by contact
    landed = next(c for c in day2_nps if c != "C11")  # not A1, whose sentiment comes from C12's answer
    account = dict(q(cfg, "select contact_id, account_id from staging.stg_crm__contacts"))[landed]
    _write_csv(cfg.path("landing") / "surveys" / "survey_responses.csv",
               ["response_id", "account_id", "contact_id", "survey", "score", "comment", "responded_at"],
               [("R1", "A2", "C22", "nps", "9", "", "2026-01-05 10:00:00"),
                ("R2", account, landed, "nps", "10", "", "2026-05-23 11:00:00")])
    out["landed_contact"] = landed
    out["run"] = daily_run_for(cfg, DAY3)
    out["raw"] = q(cfg, "select response_id, contact_id, survey, score, comment from raw.survey_responses "
                        "order by response_id")
    out["again_after_run"] = import_cli(cfg, good)
    out["files"] = sorted(p.name for p in (cfg.path("landing") / "surveys" / "survey_responses").iterdir())
    return out


def test_a_bad_import_file_names_row_and_column_and_writes_nothing(answered):
    res = answered["bad"]
    out = " ".join(res.output.split())
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "bad.csv: 3 problem(s); nothing imported" in out
    assert "row 1 column score: 11 is outside 0-10, the scale of survey nps" in out
    assert "row 2 column token: unknown token" in out
    assert "row 3 column responded_at: '22/05/2026' is not a date" in out


def test_imported_answers_pass_the_gate_and_mark_their_invitations(answered, scenario):
    assert answered["good"].exit_code == 0, answered["good"].output
    assert "2 answer(s)" in answered["good"].output
    raw = {r[0]: r[1:] for r in answered["raw"]}
    ids = dict(q(scenario["cfg"], "select contact_id || ':' || survey, invitation_id from ops.survey_invitations"))
    assert raw[ids["C12:nps"]] == ("C12", "nps", "2", 'Slow, "flaky" exports')
    assert raw[ids["C41:onboarding"]] == ("C41", "onboarding", "4", None)
    assert answered["run"]["quality"]["quarantined"] == {}
    answered_now = {(c, s): (resp, score) for s, c, _, _, resp, score in invitations(scenario["cfg"])}
    assert answered_now[("C12", "nps")] == (ids["C12:nps"], 2.0)
    assert answered_now[("C41", "onboarding")] == (ids["C41:onboarding"], 4.0)
    # the landed answer without a token counts for that contact's NPS invitation
    assert answered_now[(answered["landed_contact"], "nps")] == ("R2", 10.0)
    assert answered["run"]["surveys"]["responses_recorded"] == 3


def test_importing_the_same_file_twice_adds_nothing(answered):
    assert answered["again_before_run"].exit_code == 0 and "nothing new" in answered["again_before_run"].output
    assert answered["again_after_run"].exit_code == 0 and "nothing new" in answered["again_after_run"].output
    assert len([f for f in answered["files"] if f.startswith("import-")]) == 1
    # one row per answer in raw: 2 imported, 2 landed (R1 in January, R2 without a token)
    assert len(answered["raw"]) == len({r[0] for r in answered["raw"]}) == 4


def test_results_mart_counts_invitations_answers_and_nps(answered, scenario):
    cfg = scenario["cfg"]
    rows = {(str(m)[:7], s): r for m, s, *r in q(cfg, "select month, survey, invitations_sent, invitations_answered, "
                                                       "response_rate, responses, nps from marts.rpt_survey_results")}
    # March: 2 NPS invitations, C12 answered 2 (detractor) -> rate 0.5, NPS -100
    assert rows[("2026-03", "nps")] == [2, 1, 0.5, 1, -100.0]
    # May: 2 NPS invitations, one answered by a landed 10 -> 0.5, NPS 100; onboarding 1 of 1
    assert rows[("2026-05", "nps")] == [2, 1, 0.5, 1, 100.0]
    assert rows[("2026-05", "onboarding")][:3] == [1, 1, 1.0]


def test_answers_feed_the_sentiment_component(answered, scenario):
    cfg = scenario["cfg"]
    assert scenario["health_day2"]["A1"] is None  # no NPS, no touchpoints: no sentiment yet
    after = dict(q(cfg, "select account_id, sentiment_score from marts.fct_account_health_daily "
                        "where health_date = ?", [DAY3]))
    assert after["A1"] == 20.0  # C12's imported NPS 2, x 10


def test_imported_detractor_answers_lower_sentiment_and_health_at_the_same_as_of(prefect_harness, generated_workspace, tmp_path):
    """Detractor answers imported for one account change its sentiment and health at the same as_of."""
    from flows.daily_run import daily_run_for

    ws = tmp_path / "ws"
    ws.mkdir()
    for name in ("landing", "truth"):
        shutil.copytree(generated_workspace / name, ws / name)
    shutil.copy(generated_workspace / "warehouse.duckdb", ws / "warehouse.duckdb")
    cfg = make_config(ws)
    health = ("select account_id, sentiment_score, health_score from marts.fct_account_health_daily "
              "where health_date = ? order by account_id")
    before = {a: (s, h) for a, s, h in q(cfg, health, [GENERATED_AS_OF])}
    # an account with NPS invitations and a high (or no) sentiment score
    invited = q(cfg, "select account_id, list(token) from ops.survey_invitations where survey = 'nps' "
                     "group by 1 order by 1")
    account, tokens = next((a, t) for a, t in invited if a in before and (before[a][0] or 100) >= 60)
    answers = tmp_path / "detractors.csv"
    _write_csv(answers, ["token", "score", "comment", "responded_at"],
               [(t, "0", "Would not recommend", f"{GENERATED_AS_OF} 09:00:00") for t in tokens])
    res = import_cli(cfg, answers)
    assert res.exit_code == 0, res.output
    summary = daily_run_for(cfg, GENERATED_AS_OF)
    after = {a: (s, h) for a, s, h in q(cfg, health, [GENERATED_AS_OF])}
    assert summary["surveys"]["responses_recorded"] == len(tokens)
    assert after[account][0] == 0.0 and after[account][1] < before[account][1]
    changed = {a for a in before if before[a] != after.get(a)}
    assert changed == {account}  # nothing else moved
    trend = q(cfg, "select nps, responses from marts.fct_account_nps_monthly where account_id = ? and month = ?",
              [account, GENERATED_AS_OF.replace(day=1)])
    assert trend and trend[0][1] >= len(tokens)
