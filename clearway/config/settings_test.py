"""Settings for the test suite: the same as local, with a fast password hasher."""

import os

os.environ.setdefault("CLEARWAY_ENV", "test")

from clearway.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
