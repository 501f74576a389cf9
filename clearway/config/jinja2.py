"""The one Jinja2 environment: NHS.UK frontend templates first, then each app's ``jinja2/``."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import django.forms
from django.apps import apps
from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from clearway.core.formatting import format_nhs_number
from clearway.core.forms import field_params


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def uk_date(value: date | datetime | None, empty: str = "") -> str:
    """3 May 2021 — the NHS style for dates."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.day} {value:%B %Y} at {value:%H:%M}"
    return f"{value.day} {value:%B %Y}"


def short_date(value: date | None, empty: str = "") -> str:
    return "" if value is None else f"{value.day} {value:%b %Y}" if value else empty


def environment(**options: Any) -> Environment:
    app_dirs = [
        str(Path(config.path) / "jinja2")
        for config in apps.get_app_configs()
        if (Path(config.path) / "jinja2").is_dir()
    ]
    django_forms = str(Path(django.forms.__file__).parent / "jinja2")
    options["loader"] = ChoiceLoader(
        [
            PackageLoader("nhsuk_frontend_jinja", "templates"),
            FileSystemLoader([*app_dirs, django_forms]),
        ]
    )
    # nhsuk-frontend-jinja reads nested params that may be absent, as Nunjucks allows.
    options["undefined"] = ChainableUndefined
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    options.setdefault("extensions", []).append("jinja2.ext.do")
    env = Environment(**options)  # noqa: S701 - Django's backend passes autoescape=True
    env.globals.update(url=url, static=static, get_messages=get_messages, field_params=field_params)
    env.filters.update(uk_date=uk_date, short_date=short_date, nhs_number=format_nhs_number)
    return env
