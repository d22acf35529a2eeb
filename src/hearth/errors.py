"""One exception tree for Hearth: every error a user can see derives from `HearthError`."""

from __future__ import annotations


class HearthError(Exception):
    """Root of every error Hearth raises on purpose; its message is meant for users."""


class SpecError(HearthError):
    """A spec is malformed, or a value does not fit a property's spec."""


class HomeFileError(HearthError):
    """A home file is broken; the message names the file, line and field."""


class UnknownDevice(HearthError):
    """A device id, service, property or action that the home does not have."""


class CommandRejected(HearthError):
    """A command failed validation or policy and was not sent."""


class PermissionDenied(CommandRejected):
    """The actor may not issue this command."""


class ConfirmationRequired(CommandRejected):
    """The command is risky and needs explicit confirmation first."""


class AdapterError(HearthError):
    """An adapter could not reach or drive its device."""


class StoreError(HearthError):
    """Persistence failed."""


class RuleError(HearthError):
    """A rule file or rule is invalid."""


class CopilotError(HearthError):
    """The copilot could not understand or carry out a request."""
