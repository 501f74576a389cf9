"""Settings for the test suite: the same as local, with a fast password hasher."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("CLEARWAY_ENV", "test")

from clearway.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Uploads go to a folder of this test run's own, removed when it ends.
CLEARWAY_UPLOAD_DIR = Path(tempfile.mkdtemp(prefix="clearway-test-uploads-"))
atexit.register(shutil.rmtree, CLEARWAY_UPLOAD_DIR, ignore_errors=True)
