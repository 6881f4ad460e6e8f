"""The to-do digests read every CSM's rows in two shared queries; the pages are byte for byte the
ones the per-CSM queries give (on the shared generated workspace)."""

from __future__ import annotations

import time

import duckdb
import pytest

from tests.conftest import GENERATED_AS_OF as AS_OF, make_config

pytestmark = pytest.mark.integration


def test_shared_queries_give_the_same_pages_as_one_query_per_csm(generated_workspace):
    from flows.reports.team import todo_digests

    cfg = make_config(generated_workspace)
    with duckdb.connect(str(cfg.path("warehouse")), read_only=True) as con:
        started = time.perf_counter()
        per_csm = todo_digests(con, AS_OF, "USD", shared=False)
        serial_s = time.perf_counter() - started
        started = time.perf_counter()
        shared = todo_digests(con, AS_OF, "USD", shared=True)
        shared_s = time.perf_counter() - started
    assert len(per_csm) >= 3
    assert [r for r, _ in shared] == [r for r, _ in per_csm]
    items = 0
    for (recipient, a), (_, b) in zip(shared, per_csm):
        text_a, html_a, atts_a = a.render()
        text_b, html_b, atts_b = b.render()
        assert (text_a, html_a) == (text_b, html_b), recipient
        assert atts_a == atts_b
        items += sum(len(section[1]) for section in a.sections)
    assert items > 0  # the digests list real tasks or alerts, not only empty sections
    print(f"{len(shared)} digests: per CSM {serial_s:.2f} s, shared {shared_s:.2f} s")
