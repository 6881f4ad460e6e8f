"""Survey links, invitation emails, the import file's validation and the cadence rules (no dbt)."""

import csv
from datetime import date

import pytest

from flows.actions.surveys import (
    CONTRACT_COLUMNS, Candidate, SurveyError, _Ledger, import_responses, render_invitation, response_links,
)
from flows.config import ConfigError, load_config
from flows.warehouse import connect

TOKENS = {"nps": "tokNPS_aaaaaaaaaaaaaaaaaaaa", "onb": "tokONB_bbbbbbbbbbbbbbbbbbbb", "old": "tokOLD_cccccccccccccccccccc"}


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "warehouse.duckdb")
    rows = [("si_nps", TOKENS["nps"], "nps", "nps", "C1", "A1", "c1@x.io", "2026-06-01", 0, 10, date(2026, 6, 1)),
            ("si_onb", TOKENS["onb"], "onboarding", "onboarding", "C2", "A2", "c2@x.io", "2026-03-01", 1, 5,
             date(2026, 6, 20)),
            ("si_old", TOKENS["old"], "nps", "nps", "C3", "A1", "c3@x.io", "2025-07-01", 0, 10, date(2025, 7, 1))]
    c.executemany("insert into ops.survey_invitations (invitation_id, token, survey, kind, contact_id, account_id, "
                  "email, period, scale_min, scale_max, sent_as_of, reason, message_key, created_at) "
                  "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', 'k:' || ?, now())",
                  [r + (r[0],) for r in rows])
    yield c
    c.close()


def _file(path, rows, header=("token", "score", "comment", "responded_at")):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_one_link_per_score_and_a_plain_link():
    links, plain = response_links("https://s.example/r", "T0k-_", 0, 10)
    assert [s for s, _ in links] == list(range(11))
    assert links[7][1] == "https://s.example/r?t=T0k-_&s=7" and plain == "https://s.example/r?t=T0k-_"
    links, plain = response_links("https://s.example/r?lang=de", "T", 1, 5)
    assert links[0][1] == "https://s.example/r?lang=de&t=T&s=1" and plain == "https://s.example/r?lang=de&t=T"


def test_invitation_has_the_links_in_both_parts_and_escapes_names():
    cfg = load_config(environ={})
    c = Candidate("nps", "C1", "A1", "x@y.io", "Jo <b>Bold</b>", "Acme & <i>Sons</i>", "2026-06-30", "first")
    subject, text, html = render_invitation(cfg, cfg.surveys.nps, c, "SeCrEt", (0, 10), date(2026, 6, 30))
    assert subject == "Jo <b>Bold</b>, how likely are you to recommend us?"  # a header is text, not markup
    for s in range(11):  # steward serve's response page (serve.base_url), the score picked in the link
        assert f"http://127.0.0.1:8765/s/SeCrEt?score={s}" in text
        assert f'href="http://127.0.0.1:8765/s/SeCrEt?score={s}"' in html
    assert "http://127.0.0.1:8765/s/SeCrEt\n" in text and 'href="http://127.0.0.1:8765/s/SeCrEt"' in html
    assert "Jo &lt;b&gt;Bold&lt;/b&gt;" in html and "Acme &amp; &lt;i&gt;Sons&lt;/i&gt;" in html
    assert "<b>Bold</b>" not in html and "Acme & <i>Sons</i>" in text


def test_good_file_becomes_one_contract_file_the_landing_discovers(con, tmp_path):
    from flows.ingest.discover import discover

    landing = tmp_path / "landing"
    landing.mkdir()
    for required in ("accounts", "subscriptions"):  # discover() wants the required tables
        (landing / f"{required}.csv").write_text("id\n")
    src = _file(tmp_path / "answers.csv", [
        (TOKENS["nps"], "9", 'Great, but "exports"\nare slow', "2026-06-02T10:00:00+02:00"),
        (f" {TOKENS['onb']} ", "4.0", "", "2026-06-21"),
    ])
    result = import_responses(con, landing, src)
    assert (result.written, result.already, result.by_survey) == (2, 0, {"nps": 1, "onboarding": 1})
    with result.path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CONTRACT_COLUMNS
    assert rows[0] == {"response_id": "si_nps", "account_id": "A1", "contact_id": "C1", "survey": "nps", "score": "9",
                       "comment": 'Great, but "exports"\nare slow', "responded_at": "2026-06-02 08:00:00"}
    assert rows[1]["survey"] == "onboarding" and rows[1]["score"] == "4" and rows[1]["responded_at"] == "2026-06-21 00:00:00"
    assert discover(landing).files["survey_responses"] == [result.path]
    again = import_responses(con, landing, src)
    assert (again.written, again.already, again.path) == (0, 2, None)
    # an invitation answered (recorded by a run) is skipped as well
    con.execute("update ops.survey_invitations set response_id = 'R9' where invitation_id = 'si_old'")
    third = import_responses(con, landing, _file(tmp_path / "old.csv", [(TOKENS["old"], "3", "", "2026-06-01")]))
    assert (third.written, third.already) == (0, 1)


def test_every_problem_names_file_row_and_column_and_nothing_is_written(con, tmp_path):
    src = _file(tmp_path / "answers.csv", [
        ("", "5", "", "2026-06-02"),
        ("nope", "5", "", "2026-06-02"),
        (TOKENS["nps"], "eleven", "", "2026-06-02"),
        (TOKENS["nps"], "3", "", "2026-06-02"),
        (TOKENS["onb"], "0", "", "2026-06-21"),
        (TOKENS["old"], "7.5", "", "06/02/2026"),
    ])
    with pytest.raises(SurveyError) as err:
        import_responses(con, tmp_path / "landing", src)
    msg = str(err.value)
    assert f"{src}: 7 problem(s); nothing imported" in msg
    for line in ("row 1 column token: is empty",
                 "row 2 column token: unknown token 'nope': no invitation has it",
                 "row 3 column score: 'eleven' is not a whole number",
                 "row 4 column token: repeats row 3 (one answer per invitation)",
                 "row 5 column score: 0 is outside 1-5, the scale of survey onboarding",
                 "row 6 column score: '7.5' is not a whole number",
                 "row 6 column responded_at: '06/02/2026' is not a date; expected YYYY-MM-DD"):
        assert f"{src} {line}" in msg
    assert not (tmp_path / "landing").exists()
    dates = _file(tmp_path / "dates.csv", [(TOKENS["nps"], "5", "", "2026-05-31 23:00"),
                                           (TOKENS["onb"], "5", "", "2026-07-02")])
    with pytest.raises(SurveyError) as err:
        import_responses(con, tmp_path / "landing", dates)
    assert "row 1 column responded_at: 2026-05-31 23:00 is before the invitation was sent (2026-06-01)" in str(err.value)
    # a date after the run's as_of is the landing contract's rule (not_future), checked by the gate on ingest
    assert "1 problem(s)" in str(err.value) and "2026-07-02" not in str(err.value)


def test_file_level_problems_are_one_clear_line(con, tmp_path):
    typo = _file(tmp_path / "typo.csv", [], header=("tokn", "score", "answered_at"))
    with pytest.raises(SurveyError, match=r"missing required column\(s\) `token` \(did you mean `tokn`\?\), "
                                          r"`responded_at`; file has: tokn, score, answered_at"):
        import_responses(con, tmp_path, typo)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("token,score,comment,responded_at\nx,5,très bien,2026-06-02\n".encode("latin-1"))
    with pytest.raises(SurveyError, match=r"not UTF-8: byte 0xe8 at offset \d+ \(line 2\)"):
        import_responses(con, tmp_path, latin)
    with pytest.raises(SurveyError, match="no such file"):
        import_responses(con, tmp_path, tmp_path / "missing.csv")


def test_cadence_gap_and_suppression_rules(con):
    con.execute("insert into ops.suppressions values ('gone@x.io', 'bounce', 'test', now())")
    ledger = _Ledger(con)
    as_of = date(2026, 6, 30)

    def cand(contact, survey="nps", email="ok@x.io", period="2026-06-30"):
        return Candidate(survey, contact, "A1", email, None, None, period, "")

    assert ledger.why_not(cand("C3"), as_of, 365, 30) == "already invited"         # 364 days ago
    assert ledger.why_not(cand("C3"), date(2026, 7, 1), 365, 30) is None           # 365 days ago
    assert ledger.why_not(cand("C2"), as_of, 365, 30) == "surveyed recently"        # onboarding 10 days ago
    assert ledger.why_not(cand("C2"), as_of, 365, None) is None                     # onboarding is exempt
    assert ledger.why_not(cand("C9", email=" Gone@X.io"), as_of, 365, 30) == "suppressed address"
    assert ledger.why_not(cand("C2", "onboarding", period="2026-03-01"), as_of, None, None) == "already invited"
    ledger.add("nps", "C9", "2026-06-30", as_of)                                      # invited earlier this run
    assert ledger.why_not(cand("C9"), as_of, 365, 30) == "already invited"


@pytest.mark.parametrize("yaml_text, key, expected", [
    ("surveys:\n  adhoc:\n    - {name: nps, subject: s, question: q}\n", "surveys.adhoc.0", "reserved"),
    ("surveys:\n  adhoc:\n    - {name: a, subject: s, question: q, scale_min: 5, scale_max: 5}\n", "surveys.adhoc.0",
     "scale_min (5) must be below scale_max (5)"),
    ("surveys:\n  adhoc:\n    - {name: a, subject: s, question: q}\n    - {name: a, subject: s, question: q}\n",
     "surveys.adhoc", "repeated: a"),
    ("surveys:\n  response_url: survey.example.com\n", "surveys.response_url", "should match pattern"),
    ("surveys:\n  nps: {every_days: 0}\n", "surveys.nps.every_days", "greater than or equal to 1"),
    ("surveys:\n  adhoc:\n    - {name: a, subject: s, question: q, audience: {segments: [huge]}}\n",
     "surveys.adhoc.0.audience.segments.0", "'enterprise'"),
])
def test_invalid_survey_settings_name_the_key(tmp_path, yaml_text, key, expected):
    f = tmp_path / "steward.yml"
    f.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(f, environ={})
    assert f"`{key}`" in str(err.value) and expected in str(err.value)
