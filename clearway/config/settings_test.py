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
CLEARWAY_INBOX_DIR = Path(tempfile.mkdtemp(prefix="clearway-test-inbox-"))
atexit.register(shutil.rmtree, CLEARWAY_INBOX_DIR, ignore_errors=True)

# Never GOV.UK Notify itself from the tests, whatever the environment says: the local
# Notify-compatible server (tests/contact/conftest.py starts it on a free port).
NOTIFY_API_KEY = NOTIFY_LOCAL_API_KEY  # noqa: F405
NOTIFY_BASE_URL = "http://127.0.0.1:6011"
NOTIFY_SMS_TEMPLATE_ID = NOTIFY_LOCAL_SMS_TEMPLATE_ID  # noqa: F405
NOTIFY_EMAIL_TEMPLATE_ID = NOTIFY_LOCAL_EMAIL_TEMPLATE_ID  # noqa: F405
NOTIFY_TIMEOUT = 5.0
# The real database backend, run by the real worker in batch mode (never an immediate fake).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
