"""The demo service's staff sign-ins (importable without Django, so `make run` can print them)."""

from typing import NamedTuple


class DemoUser(NamedTuple):
    username: str
    role: str
    first_name: str
    last_name: str


#: Every demo sign-in shares this password. Demo only: never load the demo on a real service.
DEMO_PASSWORD = "clearway-demo"  # noqa: S105 - a published demo password, not a secret

#: One member of staff per role; the username is the role.
DEMO_USERS = (
    DemoUser("coordinator", "coordinator", "Jo", "Whitfield"),
    DemoUser("secretary", "secretary", "Priya", "Sharma"),
    DemoUser("clinician", "clinician", "Helen", "Marsh"),
    DemoUser("manager", "manager", "David", "Kerr"),
    DemoUser("admin", "admin", "Alex", "Fenwick"),
)

ROLE_NAMES = {
    "coordinator": "SCD coordinator",
    "secretary": "medical secretary",
    "clinician": "clinician",
    "manager": "service manager",
    "admin": "administrator",
}


def sign_in_help() -> str:
    """How to sign in to the demo service, one line per role."""
    lines = ["Sign in to the demo (every password is " + DEMO_PASSWORD + "):"]
    lines += [f"  {user.username:<12} {ROLE_NAMES[user.role]}" for user in DEMO_USERS]
    return "\n".join(lines)
