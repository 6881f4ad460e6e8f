"""Spark tests need a Java runtime: .ci/run installs OpenJDK 17; locally they skip without one."""

from __future__ import annotations

import os
import shutil

import pytest


def java_or_skip() -> None:
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("java is not installed: .ci/run installs OpenJDK 17 for the Spark tests")
        pytest.skip("no java on this machine (apt-get install openjdk-17-jre-headless)")
