from clearway.accounts.models import Role, User


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
