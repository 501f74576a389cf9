"""Writing the audit trail: one function, called once where each thing happens."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.http import HttpRequest

from clearway.audit.models import AuditAction, AuditEntry

__all__ = ["AuditAction", "client_ip", "record", "record_each"]


def client_ip(request: HttpRequest) -> str | None:
    """Where the request came from: REMOTE_ADDR, or, only behind a proxy the settings trust,
    the address that proxy appended to X-Forwarded-For (the last one: earlier ones are
    whatever the client claimed)."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.CLEARWAY_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            address = forwarded.split(",")[-1].strip()
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def record(
    request: HttpRequest | None,
    action: str,
    *,
    patient: Any = None,
    obj: str = "",
    outcome: int | None = 200,
    user: Any = None,
    username: str = "",
    commit: bool = True,
) -> AuditEntry:
    """Add an entry to the audit trail (with ``commit=False``, make it but do not save it).

    Who is ``user``, or else the request's signed-in user; ``username`` names someone who is not
    signed in (a failed sign-in). ``obj`` describes what, without identifiers ("referral 12").
    Never pass a password, a name, a phone number or report text.
    """
    AuditAction(action)  # an unknown action is a bug: fail now, not in a search later
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    entry = AuditEntry(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        role=getattr(user, "role", "") or "",
        action=action,
        patient=patient,
        # The service the person is working in (none while signing in or out).
        service=getattr(request, "service", None),
        obj=obj[:200],
        ip_address=client_ip(request) if request is not None else None,
        path=request.path[:500] if request is not None else "",
        method=(request.method or "") if request is not None else "",
        outcome=outcome,
    )
    if commit:
        entry.save(force_insert=True)
    return entry


def record_each(
    request: HttpRequest, action: str, changes: Iterable[tuple[Any, str]]
) -> list[AuditEntry]:
    """Add an entry for each child changed at once (an imported list): ``changes`` holds each
    one's patient and ``obj``, as :func:`record` takes them. The entries are written together."""
    return AuditEntry.objects.bulk_create(
        record(request, action, patient=patient, obj=obj, commit=False) for patient, obj in changes
    )
