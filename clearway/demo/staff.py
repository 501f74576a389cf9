"""The demo service's staff sign-ins (importable without Django, so `make run` can print them)."""

from typing import NamedTuple

#: The demo's two services, by slug: name and pathway key.
DEMO_SERVICES = {
    "scd": ("Social communication disorder (SCD) assessment", "scd"),
    "autism": ("Autism assessment", "autism"),
}


class DemoUser(NamedTuple):
    username: str
    role: str
    first_name: str
    last_name: str
    #: The slugs of the services they work in, the first the one they start in.
    services: tuple[str, ...] = ("scd",)


#: Every demo sign-in shares this password. Demo only: never load the demo on a real service.
DEMO_PASSWORD = "clearway-demo"  # noqa: S105 - a published demo password, not a secret

#: One member of SCD staff per role (the username is the role), the coordinator also working in
#: autism assessment, and an autism coordinator who sees autism's children only.
DEMO_USERS = (
    DemoUser("coordinator", "coordinator", "Jo", "Whitfield", ("scd", "autism")),
    DemoUser("secretary", "secretary", "Priya", "Sharma"),
    DemoUser("clinician", "clinician", "Helen", "Marsh"),
    DemoUser("manager", "manager", "David", "Kerr"),
    DemoUser("admin", "admin", "Alex", "Fenwick"),
    DemoUser("autism-coordinator", "coordinator", "Sam", "Okafor", ("autism",)),
)

ROLE_NAMES = {
    "coordinator": "coordinator",
    "secretary": "medical secretary",
    "clinician": "clinician",
    "manager": "service manager",
    "admin": "administrator",
}
SERVICE_NAMES = {"scd": "SCD", "autism": "autism"}


def sign_in_help() -> str:
    """How to sign in to the demo service, one line per member of staff."""
    lines = ["Sign in to the demo (every password is " + DEMO_PASSWORD + "):"]
    lines += [
        f"  {user.username:<19} {ROLE_NAMES[user.role]}, "
        + " and ".join(SERVICE_NAMES[s] for s in user.services)
        for user in DEMO_USERS
    ]
    lines.append(
        "Start with Today's work as the coordinator; escalations go to the service manager."
    )
    return "\n".join(lines)
