"""The gate's GX import survives an installed pyspark in a process whose main module has no file.

With the `spark` extra installed, GX imports pyspark.sql.connect, which calls sys.exit(0) when
__main__ has neither __spec__ nor __file__ (`python -c`, pytest-xdist workers): the first CI run
with pyspark in the dev install lost every gate that way, with exit status 0.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


def _bare_main(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_the_gate_imports_gx_from_a_main_module_without_a_file():
    r = _bare_main("from flows.quality.suites import _import_gx; gx = _import_gx(); print('imported', gx.__name__)")
    assert r.returncode == 0, r.stderr
    assert "imported great_expectations" in r.stdout


def test_control_a_plain_gx_import_there_ends_the_process_when_pyspark_is_installed():
    pytest.importorskip("pyspark")
    r = _bare_main("import great_expectations; print('imported')")
    assert "imported" not in r.stdout, "pyspark no longer exits here: flows.quality.suites._import_gx may go"
