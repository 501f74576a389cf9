"""The pathway definition: which reports a child needs before panel, and the panel's size.

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
class RequirementDefinition:
    key: str
    name: str
    short_name: str


@dataclass(frozen=True)
class PathwayDefinition:
    key: str
    name: str
    panel_size: int
    panel_clinic: str
    referral_clinic: str
    requirements: tuple[RequirementDefinition, ...]

    def requirement(self, key: str) -> RequirementDefinition:
        for requirement in self.requirements:
            if requirement.key == key:
                return requirement
        raise KeyError(key)

    @property
    def requirement_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.requirements)


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
            )
            for item in data["requirements"]
        )
        definition = PathwayDefinition(
            key=str(data["key"]),
            name=str(data["name"]),
            panel_size=int(data["panel_size"]),
            panel_clinic=str(data.get("panel_clinic", "")),
            referral_clinic=str(data.get("referral_clinic", "")),
            requirements=requirements,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"{path}: the pathway definition lacks or mistypes {error}"
        ) from error
    if not requirements:
        raise ImproperlyConfigured(f"{path}: a pathway needs at least one requirement")
    if len(set(definition.requirement_keys)) != len(requirements):
        raise ImproperlyConfigured(f"{path}: two requirements share a key")
    if definition.panel_size < 1:
        raise ImproperlyConfigured(f"{path}: panel_size must be at least 1")
    return definition


@cache
def pathway_for(key: str) -> PathwayDefinition:
    """The built-in pathway with this key (the file stem), read once."""
    if not re.fullmatch(r"[a-z0-9_-]+", key):
        raise ImproperlyConfigured(f"{key!r} is not a pathway key")
    return load_pathway(BUILT_IN / f"{key}.toml")
