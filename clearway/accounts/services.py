import re

from django.db import transaction

from clearway.accounts.models import ExternalIdentity, Role, User


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Create a member of staff. Administrators may also use Django's admin pages."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.")
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def free_username(wanted: str) -> str:
    """A username no one has yet, like the one wanted (a local account keeps its own)."""
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "staff"
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def sign_in_by_identity(
    *,
    issuer: str,
    subject: str,
    username: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """The member of staff with this single sign-on identity, created at their first sign-in.

    They are found by (issuer, subject) alone, never by username or email, so a provider
    cannot take over a local account. Their role and names follow the provider's claims at
    every sign-in. They have no password: they can sign in only through the provider.
    """
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}")
    identity = (
        ExternalIdentity.objects.select_related("user")
        .select_for_update()
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        user = User(username=free_username(username))
        user.set_unusable_password()
    else:
        user = identity.user
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.first_name = first_name[:150]
    user.last_name = last_name[:150]
    user.email = email[:254]
    user.save()
    if identity is None:
        ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    return user
