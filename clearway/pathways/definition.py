"""The pathway definition: which reports a child needs before panel, how each is chased, the
SaLT opt-in follow-up, and the panel's size.

Each service runs one pathway, read from the TOML file named by its key in
``clearway/pathways/definitions/`` (``scd.toml``, ``autism.toml``).
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BUILT_IN = Path(__file__).parent / "definitions"


@dataclass(frozen=True)
class ChaseRule:
    """When to ask for a report and when to chase it, in days.

    Request ``request_after_days`` after the referral; chase ``chase_after_days`` after asking
    (or after it was expected, for a SaLT report: the appointment plus the follow-up's
    ``report_due_days``), then every ``chase_every_days``; after ``escalate_after_chases``
    chases, the service manager is asked to step in.
    """

    request_after_days: int = 0
    chase_after_days: int = 14
    chase_every_days: int = 14
    escalate_after_chases: int = 3

    FIELDS = (
        "request_after_days",
        "chase_after_days",
        "chase_every_days",
        "escalate_after_chases",
    )

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.FIELDS}


@dataclass(frozen=True)
class SaltFollowUpDefinition:
    """The SaLT opt-in follow-up, as the case designed it (days)."""

    #: After the referral, check with the SaLT service that its invitation letter went out.
    check_invite_after_days: int = 14
    #: After SaLT sent the invitation, ring the carer: did it arrive, in or out?
    call_carer_after_days: int = 7
    #: After the carer opts in, ask SaLT for the appointment date if it is not known.
    appointment_check_after_days: int = 21
    #: After the SaLT appointment, the report is expected by then (and chased after).
    report_due_days: int = 28
    #: A call not answered is tried again after this many days.
    retry_call_after_days: int = 2


@dataclass(frozen=True)
class RequirementDefinition:
    key: str
    name: str
    short_name: str
    #: Who is asked for it: "school", "salt" (the SaLT service) or "carer".
    ask: str = "carer"
    chase: ChaseRule = ChaseRule()
    #: True for the report that comes through the SaLT opt-in follow-up.
    salt_follow_up: bool = False


@dataclass(frozen=True)
class PathwayDefinition:
    key: str
    name: str
    panel_size: int
    panel_clinic: str
    referral_clinic: str
    requirements: tuple[RequirementDefinition, ...]
    salt: SaltFollowUpDefinition = SaltFollowUpDefinition()

    def requirement(self, key: str) -> RequirementDefinition:
        for requirement in self.requirements:
            if requirement.key == key:
                return requirement
        raise KeyError(key)

    @property
    def requirement_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.requirements)

    @property
    def salt_requirement(self) -> RequirementDefinition | None:
        """The requirement that follows the SaLT opt-in follow-up, if this pathway has one."""
        return next((r for r in self.requirements if r.salt_follow_up), None)


ASKED = ("school", "salt", "carer")


def _days(data: dict[str, object], name: str, default: int, where: str) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{where}.{name} must be a whole number of days, 0 or more")
    return value


def _chase(data: dict[str, object], where: str) -> ChaseRule:
    base = ChaseRule()
    rule = ChaseRule(
        **{name: _days(data, name, getattr(base, name), where) for name in base.FIELDS}
    )
    if rule.chase_every_days < 1:
        raise ValueError(f"{where}.chase_every_days must be at least 1")
    return rule


def load_pathway(path: Path) -> PathwayDefinition:
    """Read and check a pathway definition file; a mistake names the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ImproperlyConfigured(
            f"{path}: cannot read the pathway definition: {error}"
        ) from error
    try:
        requirements = tuple(
            RequirementDefinition(
                key=str(item["key"]),
                name=str(item["name"]),
                short_name=str(item.get("short_name", item["name"])),
                ask=str(item.get("ask", "carer")),
                chase=_chase(item.get("chase", {}), f"requirements[{item['key']}].chase"),
                salt_follow_up=bool(item.get("salt_follow_up", False)),
            )
            for item in data["requirements"]
        )
        base_salt = SaltFollowUpDefinition()
        salt_data = data.get("salt", {})
        salt = SaltFollowUpDefinition(
            **{
                name: _days(salt_data, name, getattr(base_salt, name), "salt")
                for name in base_salt.__dataclass_fields__
            }
        )
        definition = PathwayDefinition(
            key=str(data["key"]),
            name=str(data["name"]),
            panel_size=int(data["panel_size"]),
            panel_clinic=str(data.get("panel_clinic", "")),
            referral_clinic=str(data.get("referral_clinic", "")),
            requirements=requirements,
            salt=salt,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"{path}: the pathway definition lacks or mistypes {error}"
        ) from error
    if not requirements:
        raise ImproperlyConfigured(f"{path}: a pathway needs at least one requirement")
    if len(set(definition.requirement_keys)) != len(requirements):
        raise ImproperlyConfigured(f"{path}: two requirements share a key")
    for requirement in requirements:
        if requirement.ask not in ASKED:
            raise ImproperlyConfigured(
                f"{path}: requirement {requirement.key!r} asks {requirement.ask!r}; "
                f"say one of {', '.join(ASKED)}"
            )
    if sum(r.salt_follow_up for r in requirements) > 1:
        raise ImproperlyConfigured(f"{path}: only one requirement can follow the SaLT opt-in")
    if definition.panel_size < 1:
        raise ImproperlyConfigured(f"{path}: panel_size must be at least 1")
    return definition


@cache
def pathway_for(key: str) -> PathwayDefinition:
    """The built-in pathway with this key (the file stem), read once."""
    if not re.fullmatch(r"[a-z0-9_-]+", key):
        raise ImproperlyConfigured(f"{key!r} is not a pathway key")
    return load_pathway(BUILT_IN / f"{key}.toml")
