"""Fixtures for the documents tests: an upload folder of the test's own, and a child waiting."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearway.pathways.models import Referral


@pytest.fixture
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    settings.CLEARWAY_UPLOAD_DIR = folder
    return folder


@pytest.fixture
def ella(make_referral: Callable[..., Referral]) -> Referral:
    """Ella, waiting for all three of the SCD pathway's reports and forms."""
    return make_referral(given_name="Ella", family_name="Testcase")


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []
