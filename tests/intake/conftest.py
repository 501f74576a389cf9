"""Fixtures for the intake tests: the sample list and PAS extract, uploaded and imported."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearway.accounts.models import User
from clearway.intake import services
from clearway.intake.models import LegacyImport, Upload, UploadKind, ValidationRun
from clearway.services.models import Service

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
INTAKE_DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
LEGACY_SAMPLE = SAMPLES / "legacy_ptl.xlsx"
PAS_SAMPLE = SAMPLES / "pas_extract.csv"
#: The day the samples were validated (tests/data/samples/README.md).
AS_OF = dt.date(2021, 5, 3)


def chunks_of(path: Path) -> list[bytes]:
    return [path.read_bytes()]


@pytest.fixture
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    settings.CLEARWAY_UPLOAD_DIR = folder
    return folder


@pytest.fixture
def upload(upload_dir: Path, service: Service, coordinator: User) -> Callable[..., Upload]:
    """upload(path, kind=...) → the file received as a coordinator would upload it."""

    def make(path: Path, kind: str = UploadKind.LEGACY_LIST, name: str | None = None) -> Upload:
        return services.receive_upload(
            coordinator, service, kind, chunks_of(path), name or path.name
        )

    return make


@pytest.fixture
def sample_import(upload: Callable[..., Upload], coordinator: User) -> LegacyImport:
    """The sample legacy list, imported."""
    return services.import_legacy_list(coordinator, upload(LEGACY_SAMPLE))


@pytest.fixture
def sample_run(
    sample_import: LegacyImport,
    upload: Callable[..., Upload],
    coordinator: User,
    service: Service,
) -> ValidationRun:
    """The imported sample list validated against the sample PAS extract as of 3 May 2021."""
    pas = upload(PAS_SAMPLE, UploadKind.PAS_EXTRACT)
    return services.validate_list(coordinator, service, pas, AS_OF)
