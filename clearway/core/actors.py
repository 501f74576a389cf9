"""Who did it: every change names a person, or a named part of the system."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SystemActor:
    """A named part of Clearway acting on its own, e.g. the demo loader or an import."""

    name: str


class MissingActorError(Exception):
    """A change was attempted without saying who made it."""


def actor_fields(actor: Any) -> dict[str, Any]:
    """The ``actor`` and ``actor_name`` to store with an event. Raises if there is no actor."""
    if isinstance(actor, SystemActor):
        return {"actor": None, "actor_name": f"{actor.name} (system)"}
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_name": str(actor)}
    raise MissingActorError("Every change must say who made it: pass the signed-in user.")
