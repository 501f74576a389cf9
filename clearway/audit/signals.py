"""Sign-in, sign-out and failed sign-ins, from Django's own signals."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clearway.audit.models import AuditAction
from clearway.audit.services import record


@receiver(user_logged_in, dispatch_uid="audit-sign-in")
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(request, AuditAction.SIGN_IN, user=user, outcome=None)


@receiver(user_logged_out, dispatch_uid="audit-sign-out")
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:  # signing out when not signed in is no event
        record(request, AuditAction.SIGN_OUT, user=user, outcome=None)


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any):
    # Only the username typed: never the password (Django masks it; we do not keep it at all).
    username = str(credentials.get("username") or "")
    # Single sign-on says who the provider named and why Clearway refused them.
    refusal = getattr(request, "sign_in_refusal", None)
    if refusal is not None:
        username = username or refusal.username
    obj = refusal.reason if refusal is not None else ""
    record(request, AuditAction.SIGN_IN_FAILED, username=username, obj=obj, outcome=None)
