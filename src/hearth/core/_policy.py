"""The default safety policy: risky commands need confirmation, and roles limit who may do what."""

from __future__ import annotations

from hearth.core._commands import Command
from hearth.core._events import Actor
from hearth.errors import ConfirmationRequired, PermissionDenied
from hearth.model import Device, Home

_TRUSTED = frozenset({"rule", "system", "adapter"})


def is_risky(command: Command, device: Device) -> str | None:
    """Say why a command is risky (unlock, open a garage or trunk, …) or return None."""
    prop, value = command.property or "", command.value
    if device.type == "lock" and prop == "locked" and value is False:
        return "unlock the door"
    if device.type == "garage-door" and (
        (prop == "target-position" and isinstance(value, int | float) and value > 0)
        or (prop == "motor-control" and value == "Open")
    ):
        return "open the garage door"
    if device.type == "car":
        if prop.endswith(".IsLocked") and value is False:
            return "unlock the car"
        if prop.startswith("Vehicle.Body.Trunk") and prop.endswith(".IsOpen") and value is True:
            return "open the trunk"
    if device.type == "oven" and prop == "on" and value is True:
        return "turn on the oven"
    return None


class DefaultPolicy:
    """Children and guests cannot do risky things; adults and admins must confirm them."""

    def check(self, actor: Actor, command: Command, device: Device, home: Home) -> None:
        """Raise PermissionDenied or ConfirmationRequired, or return to allow."""
        if actor.kind in _TRUSTED:
            return
        if actor.role == "guest" and not device.shared:
            raise PermissionDenied(f"guests cannot control {device.name}")
        denied = home.denied(actor.id, actor.role, device)
        if denied and ({"control", "see", f"{command.service}.{command.target}"} & denied):
            raise PermissionDenied(f"{actor.id} may not change {device.name} ({command.service}.{command.target})")
        reason = is_risky(command, device)
        if reason is None:
            return
        if actor.role in ("child", "guest"):
            raise PermissionDenied(f"a {actor.role} may not {reason}")
        if not command.confirmed:
            raise ConfirmationRequired(f"please confirm: {reason} ({device.name})")
