"""Home appliances of the twin that change over time: the robot vacuum and the EV charger's readings."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hearth.model import Value

COVER_SPEED = {"curtain": 4.0, "garage-door": 5.0, "window-opener": 3.0}  # percent per second
_DRAIN_PER_MIN = {"Quiet": 0.7, "Standard": 1.0, "Strong": 1.4, "Turbo": 1.8}
_CHARGE_PER_MIN = 0.6
_RETURN_S = 120.0
_IDLE_BEFORE_RETURN_S = 600.0


@dataclass(slots=True)
class VacuumSim:
    """A robot vacuum: sweeps a job, returns when done or low, charges on the dock."""

    status: str
    battery: float
    job_left: float = 0.0
    return_left: float = 0.0
    idle_for: float = 0.0

    def start(self, rng: random.Random, room: bool) -> None:
        """Start a whole-home or one-room clean, if the battery allows."""
        if self.battery <= 20:
            self.go_home()
            return
        minutes = rng.uniform(10, 16) if room else rng.uniform(40, 60)
        self.job_left = minutes * 60
        self.status = "Sweeping"
        self.idle_for = 0.0

    def stop(self) -> None:
        """Stop where it is."""
        self.job_left = 0.0
        self.status = "Idle"
        self.idle_for = 0.0

    def pause(self) -> None:
        """Pause the job; it can be resumed with start."""
        if self.status == "Sweeping":
            self.status = "Paused"
            self.idle_for = 0.0

    def resume_or_start(self, rng: random.Random, room: bool) -> None:
        """Resume a paused job or start a new one."""
        if self.status == "Paused" and self.job_left > 0:
            self.status = "Sweeping"
        else:
            self.start(rng, room)

    def go_home(self) -> None:
        """Drive back to the dock."""
        if self.status != "Charging":
            self.status = "Returning"
            self.return_left = _RETURN_S
            self.job_left = 0.0

    def step(self, dt_s: float, mode: str) -> None:
        """Advance the vacuum by `dt_s` seconds."""
        minutes = dt_s / 60
        if self.status == "Sweeping":
            self.battery = max(0.0, self.battery - _DRAIN_PER_MIN.get(mode, 1.0) * minutes)
            self.job_left -= dt_s
            if self.job_left <= 0 or self.battery <= 15:
                self.go_home()
        elif self.status == "Returning":
            self.battery = max(0.0, self.battery - 0.5 * minutes)
            self.return_left -= dt_s
            if self.return_left <= 0:
                self.status = "Charging"
        elif self.status == "Charging":
            self.battery = min(100.0, self.battery + _CHARGE_PER_MIN * minutes)
        elif self.status in ("Idle", "Paused"):
            self.idle_for += dt_s
            if self.idle_for >= _IDLE_BEFORE_RETURN_S:
                self.go_home()

    def report(self) -> dict[tuple[str, str], Value]:
        """The vacuum's status and battery level."""
        return {("vacuum", "status"): self.status, ("battery", "battery-level"): int(self.battery)}


def charger_power_kw(on: Value, current: Value) -> float:
    """What a three-phase 230 V wallbox can deliver at its current setting."""
    if on is not True or not isinstance(current, int | float):
        return 0.0
    return float(current) * 230 * 3 / 1000


def charger_report(cable: bool, charging: bool, at_limit: bool, power_kw: float, energy_kwh: float) -> dict[str, Value]:
    """The wallbox's status, power and delivered energy."""
    if not cable:
        status = "Idle"
    elif charging:
        status = "Charging"
    elif at_limit:
        status = "Complete"
    else:
        status = "Plugged"
    return {"status": status, "power": round(power_kw * 1000, 0) if charging else 0.0, "energy": round(energy_kwh, 2)}
