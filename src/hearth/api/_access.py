"""Who may see and do what: pure functions over a user, a home and a device."""

from __future__ import annotations

from hearth.api._users import User
from hearth.core import Actor
from hearth.model import Device, Home

_PRIVATE_TYPES = frozenset({"person", "phone", "watch"})


def actor_for(user: User, kind: str = "person") -> Actor:
    """The actor a user's commands carry into the command path and the audit log."""
    if kind == "agent":
        return Actor("agent", user.name, user.role)
    return Actor("person", user.person or user.name, user.role)


def can_see(user: User, device: Device, home: Home) -> bool:
    """Guests see only shared devices in shared rooms and never people; a permissions entry can hide more."""
    if "see" in home.denied(actor_for(user).id, user.role, device):
        return False
    if user.role != "guest":
        return True
    if device.type in _PRIVATE_TYPES or not device.shared:
        return False
    area = home.areas.get(device.area) if device.area else None
    return area is None or area.shared


def visible_devices(user: User, home: Home) -> list[Device]:
    """Devices the user may see, in home-file order."""
    return [d for d in home.devices.values() if can_see(user, d, home)]


def can_edit_rules(user: User) -> bool:
    """Admins and adults change automations; children and guests do not."""
    return user.role in ("admin", "adult")


def can_manage_users(user: User) -> bool:
    """Only admins manage users."""
    return user.role == "admin"
