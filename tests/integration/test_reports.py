"""Reports from the marts: numbers equal the marts, pages render in headless Chromium, emails carry
inline charts and a plain-text part that stands without images."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from pathlib import Path

import pytest

from tests.conftest import GENERATED_AS_OF as AS_OF, make_config
from tests.support import browser
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cfg(generated_workspace):
    return make_config(generated_workspace)


@pytest.fixture(scope="module")
def built(cfg):
    from flows.reports.flow import REPORT_NAMES, run_report

    return {name: run_report(cfg, name, AS_OF, send=False) for name in REPORT_NAMES}


def test_every_report_writes_a_page_and_its_text(built):
    for name, result in built.items():
        assert result.pages, name
        for page in result.pages:
            html = open(page, encoding="utf-8").read()
            assert "<table" in html and "cid:" not in html  # browser copy has images inline
            assert open(page.replace(".html", ".txt"), encoding="utf-8").read().strip()


def test_nrr_report_numbers_equal_the_marts_for_the_month_that_closed(cfg, built):
    from flows.reports.formatting import money, pct

    # AS_OF 2026-06-30: June has not closed, May is the headline
    (nrr, grr, t12), = q(cfg, """select monthly_nrr, monthly_grr, t12_nrr from marts.rpt_revenue_retention
                                 where slice = 'portfolio' and month = '2026-05-01'""")
    text = open(built["nrr"].pages[0].replace(".html", ".txt"), encoding="utf-8").read()
    assert text.startswith("NRR report, May 2026")
    assert f"Monthly NRR: {pct(nrr)} (" in text and f"Monthly GRR: {pct(grr)} (" in text
    assert f"12-month NRR: {pct(t12)}" in text
    (closing,), = q(cfg, "select closing_mrr from marts.rpt_mrr_monthly where month = '2026-05-01'")
    assert money(closing) in text and "MRR bridge, May 2026" in text


def test_renewals_report_sums_equal_fct_renewals(cfg, built):
    from flows.reports.formatting import money

    (arr30, n30), = q(cfg, "select coalesce(sum(arr), 0), count(*) from marts.fct_renewals "
                           "where days_to_renewal between 0 and 30")
    text = open(built["renewals"].pages[0].replace(".html", ".txt"), encoding="utf-8").read()
    assert f"ARR renewing in 30 days ({n30}): {money(arr30)}" in text


def test_pages_render_in_headless_chromium_with_images_loaded(built, tmp_path):
    for name in ("nrr", "renewals", "revenue_spread", "team"):
        page = built[name].pages[0]
        shot = browser.screenshot(Path(page), tmp_path / f"{name}.png")
        assert browser.ink_fraction(shot) > 0.002, f"{name} rendered blank"  # text + tables, not blank
        total, ok = browser.loaded_images(Path(page))
        assert total == ok, f"{name}: {total - ok} of {total} images did not load"
    assert browser.loaded_images(Path(built["nrr"].pages[0]))[0] >= 2  # trend + movements charts


def test_sent_report_is_an_email_with_inline_charts_and_a_text_part(cfg, tmp_path):
    from flows.delivery.outbox import drain
    from flows.delivery.transport import FileTransport
    from flows.reports.flow import run_report
    from flows.warehouse import session

    run_report(cfg, "nrr", AS_OF, send=True)
    again = run_report(cfg, "nrr", AS_OF, send=True)
    assert again.queued == 0  # one report per (name, as_of, recipient)
    with session(cfg.path("warehouse")) as con:
        drain(con, FileTransport(tmp_path, "steward@example.com", "Steward"), 100)
    eml = next(tmp_path.rglob("report_nrr__*.eml"))
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert msg["To"].endswith("<cs-leader@example.com>") or "cs-leader@example.com" in msg["To"]
    text = msg.get_body(("plain",)).get_content()
    assert "Monthly NRR:" in text and "[chart] NRR and GRR by month" in text
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) >= 2 and all(p["Content-ID"] for p in images)
    html = msg.get_body(("html",)).get_content()
    assert all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)
