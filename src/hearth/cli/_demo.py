"""`hearth demo`: run the digital-twin household and watch it live (or as plain event lines when piped)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console, Group
from rich.layout import Layout
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from hearth.adapters.simulator import Twin
from hearth.cli._app import app, fail
from hearth.cli._serve import DataOption, HostOption, PortOption, RemoteOption, check_bind, data_dir
from hearth.cli._session import HomeOption
from hearth.core import AuditRecorded, DeviceEvent, Event, Notification, RuleFired, StateChanged, SystemClock
from hearth.hub import Hub, HubConfig, load_home_or_demo, load_subsystems, open_hub
from hearth.model import Value
from hearth.model._sun import sun

BAT = "Vehicle.Powertrain.TractionBattery."
_QUIET_PROPS = frozenset({
    "temperature", "relative-humidity", "illumination", "battery-level", "current-position", "power", "energy",
    "heart-rate", "latitude", "longitude", "accuracy", "charging", "area", "motion-state",
})
_LOUD_CAR = ("IsMoving", "IsCharging", "IsChargingCableConnected", "StartStopCharging", "IsOpen", "IsLocked",
             "IsAirConditioningActive", "Window.Position", "ChargeLimit")
_STATUS_EVERY_S = 15 * 60


def is_key_change(event: StateChanged) -> bool:
    """Whether a state change is worth a line (not a sensor tick or a moving coordinate)."""
    if event.property.startswith("Vehicle."):
        return event.property.endswith(_LOUD_CAR)
    return event.property not in _QUIET_PROPS


def _fmt(value: Value | None) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(event: Event, hub: Hub) -> str | None:
    """One line for an event, or None for one not worth showing."""
    devices = hub.home.devices
    if isinstance(event, StateChanged):
        if not is_key_change(event):
            return None
        name = devices[event.device].name if event.device in devices else event.device
        prop = event.property.removeprefix("Vehicle.")
        return f"{name}: {prop} {_fmt(event.old)} → {_fmt(event.new)}"
    if isinstance(event, AuditRecorded):
        mark = "✓" if event.ok else f"✗ {event.message}"
        return f"command by {event.actor}: {event.device} {event.target} = {_fmt(event.value)} {mark}"
    if isinstance(event, DeviceEvent):
        name = devices[event.device].name if event.device in devices else event.device
        return f"{name}: {event.event}"
    if isinstance(event, Notification):
        return f"notify {', '.join(event.to) or 'everyone'}: {event.title} — {event.message}"
    if isinstance(event, RuleFired):
        return f"rule {event.rule} {event.outcome} ({event.trigger})"
    return None


def start_time(home_tz: str, hhmm: str, day: str | None = None) -> float | None:
    """HH:MM on `day` (default today) in the home's time zone as epoch seconds; None for `now`."""
    tz = ZoneInfo(home_tz)
    try:
        date = dt.date.fromisoformat(day) if day else dt.datetime.now(tz).date()
    except ValueError:
        fail(f"--date {day!r}: write YYYY-MM-DD")
    if hhmm == "now":
        return None if day is None else dt.datetime.combine(date, dt.datetime.now(tz).time(), tz).timestamp()
    try:
        clock_time = dt.time.fromisoformat(hhmm)
    except ValueError:
        fail(f"--start {hhmm!r}: write HH:MM (e.g. 17:30) or now")
    return dt.datetime.combine(date, clock_time, tz).timestamp()


@app.command()
def demo(
    speed: Annotated[float, typer.Option(help="simulated seconds per real second (60 = a minute a second)")] = 60.0,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same day")] = 1,
    home: HomeOption = None,
    duration: Annotated[float | None, typer.Option(help="stop after this many real seconds")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="database file to keep state and history in")] = None,
    start: Annotated[str, typer.Option(help="simulated start time today, HH:MM in the home's time zone, or now")]
    = "17:30",
    date: Annotated[str | None, typer.Option(help="simulated date, YYYY-MM-DD (default today)")] = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8480,
    allow_remote: RemoteOption = False,
    web: Annotated[bool, typer.Option(help="serve the dashboard, API and MCP")] = True,
    data: DataOption = None,
) -> None:
    """Run the digital-twin household with a live view (plain event lines when not on a terminal)."""
    if speed <= 0:
        fail("--speed must be positive")
    if web:
        check_bind(host, allow_remote)
    house = load_home_or_demo(home)
    load_subsystems()  # import them now, so the simulated day starts at --start, not an import later
    clock = SystemClock(speed, start=start_time(house.timezone, start, date))
    folder = data_dir(data)
    config = HubConfig(house, clock=clock, database=db or folder / f"{house.id}.db", simulate=True, speed=speed,
                       seed=seed, data_dir=folder, http_host=host if web else None, http_port=port)
    try:
        asyncio.run(_run(config, duration, sys.stdout.isatty()))
    except KeyboardInterrupt:
        typer.echo("stopped")


async def _run(config: HubConfig, duration: float | None, live: bool) -> None:
    async with open_hub(config) as hub:
        twin = hub.services.get("twin")
        lines: deque[str] = deque(maxlen=15)
        out = PlainOut()
        emit: Callable[[str], None] = lines.append if live else out.print
        for line in _welcome(hub):
            emit(line)
        removers = [hub.bus.subscribe(kind, _listener(hub, emit))
                    for kind in (StateChanged, AuditRecorded, DeviceEvent, Notification, RuleFired)]
        try:
            if live:
                await _live(hub, twin, lines, duration, config.speed)
            else:
                await _plain(hub, twin, duration, config.speed, out)
        finally:
            for remove in removers:
                remove()


DEMO_PASSWORD = "hearth-demo"


def _welcome(hub: Hub) -> list[str]:
    """Where the dashboard is and, for the demo household on first run, its logins."""
    server = hub.services.get("http")
    if server is None:
        return []
    lines = [f"Dashboard: {server.url}"]
    users = hub.services["users"]
    if users.is_empty() and hub.home.id == "demo":
        for person in hub.home.people.values():
            users.add(person.id, DEMO_PASSWORD, person.role, person.id)
        names = ", ".join(f"{p.id} ({p.role})" for p in hub.home.people.values())
        lines.append(f"Demo logins: {names}; password {DEMO_PASSWORD!r}")
    elif users.is_empty():
        lines.append("First run: open the dashboard to create the admin account.")
    return lines


class PlainOut:
    """Plain output lines that end the demo quietly when the reader goes away (`hearth demo | head`)."""

    def __init__(self) -> None:
        self.closed = False

    def print(self, line: str) -> None:
        """Print one line now."""
        if self.closed:
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:
            self.closed = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the final flush cannot fail


def _listener(hub: Hub, emit: Callable[[str], None]) -> Callable[[Any], None]:
    tz = ZoneInfo(hub.home.timezone)

    def on_event(event: Event) -> None:
        text = describe(event, hub)
        if text is not None:
            emit(f"{dt.datetime.fromtimestamp(event.time, tz):%H:%M:%S}  {text}")

    return on_event


async def _until(duration: float | None, every: float, step: Callable[[], None],
                 stopped: Callable[[], bool] = lambda: False) -> None:
    # Real seconds: the demo's length is about the person watching, not simulated time.
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    while (deadline is None or loop.time() < deadline) and not stopped():
        await asyncio.sleep(every if deadline is None else max(0.0, min(every, deadline - loop.time())))
        step()


async def _plain(hub: Hub, twin: Twin | None, duration: float | None, speed: float, out: PlainOut) -> None:
    out.print(f"Hearth demo: {hub.home.name}, {speed:g}× speed; {summary(hub, twin)}")
    last = [hub.clock.now()]

    def status() -> None:
        if hub.clock.now() - last[0] >= _STATUS_EVERY_S:
            last[0] = hub.clock.now()
            out.print(summary(hub, twin))

    await _until(duration, 0.2, status, lambda: out.closed)
    out.print(f"end: {summary(hub, twin)}")


async def _live(hub: Hub, twin: Twin | None, lines: deque[str], duration: float | None, speed: float) -> None:
    console = Console()
    with Live(render(hub, twin, lines, speed), console=console, screen=True, auto_refresh=False) as view:
        await _until(duration, 0.25, lambda: view.update(render(hub, twin, lines, speed), refresh=True))
    console.print(summary(hub, twin))


def _v(hub: Hub, device: str, service: str, prop: str) -> Value | None:
    return hub.state.values.get((device, service, prop))


def summary(hub: Hub, twin: Twin | None) -> str:
    """One status line: time, outside, where the people and the car are."""
    now = hub.clock.now()
    tz = ZoneInfo(hub.home.timezone)
    parts = [f"{dt.datetime.fromtimestamp(now, tz):%a %H:%M}"]
    if twin is not None:
        parts.append(f"outside {twin.outside(now):.1f}°C")
    for pid, person in hub.home.people.items():
        zone = _v(hub, pid, "presence", "zone")
        asleep = " (asleep)" if _v(hub, pid, "sleep", "asleep") is True else ""
        parts.append(f"{person.name} {zone}{asleep}")
    car = next((d for d in hub.home.devices.values() if d.type == "car"), None)
    if car is not None:
        parts.append(_car_line(hub, twin, car.id))
    return " | ".join(parts)


def _car_line(hub: Hub, twin: Twin | None, car: str) -> str:
    soc = _v(hub, car, "vehicle", BAT + "StateOfCharge.Current")
    speed = _v(hub, car, "vehicle", "Vehicle.Speed")
    where = ""
    if twin is not None:
        lat = _v(hub, car, "vehicle", "Vehicle.CurrentLocation.Latitude")
        lon = _v(hub, car, "vehicle", "Vehicle.CurrentLocation.Longitude")
        if isinstance(lat, float) and isinstance(lon, float):
            where = f"{twin.distance_home((lat, lon)) / 1000:.1f} km from home, "
    charging = " charging" if _v(hub, car, "vehicle", BAT + "Charging.IsCharging") is True else ""
    return f"car {where}{_fmt(speed)} km/h, SoC {_fmt(soc)}%{charging}"


def render(hub: Hub, twin: Twin | None, lines: deque[str], speed: float) -> Layout:
    """The whole live view."""
    layout = Layout()
    layout.split_column(Layout(_header(hub, twin, speed), size=3), Layout(name="body"))
    layout["body"].split_row(Layout(name="left"), Layout(name="right"))
    layout["left"].split_column(Layout(_people(hub), size=len(hub.home.people) + 5),
                                Layout(_car(hub, twin), size=5), Layout(_rooms(hub)))
    layout["right"].split_column(Layout(_devices(hub)), Layout(Panel("\n".join(lines), title="events")))
    return layout


def _header(hub: Hub, twin: Twin | None, speed: float) -> Panel:
    now = hub.clock.now()
    tz = ZoneInfo(hub.home.timezone)
    info = sun(hub.home.location, hub.home.timezone, now)

    def hm(t: float | None) -> str:
        return "—" if t is None else f"{dt.datetime.fromtimestamp(t, tz):%H:%M}"

    text = (f"[bold]{hub.home.name}[/]  {dt.datetime.fromtimestamp(now, tz):%a %d %b %H:%M:%S}  "
            f"sunrise {hm(info.sunrise)} sunset {hm(info.sunset)} ({'dark' if info.is_dark else 'daylight'})")
    if twin is not None:
        text += f"  outside {twin.outside(now):.1f}°C"
    return Panel(text + f"  [dim]{speed:g}× — Ctrl-C to stop[/]", title="Hearth demo")


def _people(hub: Hub) -> Table:
    table = Table("person", "where", "room", "sleep", "pulse", title="people", expand=True)
    for pid, person in hub.home.people.items():
        home = _v(hub, pid, "presence", "at-home") is True
        where = "[green]home[/]" if home else f"[yellow]{_v(hub, pid, 'presence', 'zone')}[/]"
        area = hub.home.areas.get(str(_v(hub, pid, "presence", "area")))
        table.add_row(person.name, where, area.name if area else "",
                      str(_v(hub, pid, "sleep", "state")), _fmt(_v(hub, pid, "health", "heart-rate")))
    return table


def _car(hub: Hub, twin: Twin | None) -> Panel:
    car = next((d for d in hub.home.devices.values() if d.type == "car"), None)
    if car is None:
        return Panel("no car", title="car")
    rng = _v(hub, car.id, "vehicle", "Vehicle.Powertrain.Range")
    cable = _v(hub, car.id, "vehicle", BAT + "Charging.ChargingPort.AnyPosition.IsChargingCableConnected")
    rate = _v(hub, car.id, "vehicle", BAT + "Charging.ChargeRate")
    body = [
        _car_line(hub, twin, car.id),
        f"range {int(rng) // 1000 if isinstance(rng, int | float) else '?'} km, "
        f"cable {'in' if cable is True else 'out'}, adding {_fmt(rate)} km/h",
        f"cabin {_fmt(_v(hub, car.id, 'vehicle', 'Vehicle.Cabin.HVAC.AmbientAirTemperature'))}°C, "
        f"AC {'on' if _v(hub, car.id, 'vehicle', 'Vehicle.Cabin.HVAC.IsAirConditioningActive') else 'off'}, "
        f"doors {'locked' if _v(hub, car.id, 'vehicle', 'Vehicle.Cabin.Door.Row1.DriverSide.IsLocked') else 'open'}",
    ]
    return Panel(Group(*body), title=car.name)


def _rooms(hub: Hub) -> Table:
    table = Table("room", "°C", "lights", "AC", title="rooms", expand=True)
    for area in hub.home.areas.values():
        temp, lights, ac = "", [], ""
        for dev in hub.home.devices_in(area.id):
            if dev.type in ("temperature-humidity-sensor", "air-conditioner") and not temp:
                temp = _fmt(_v(hub, dev.id, "environment", "temperature"))
            elif dev.type == "light" and _v(hub, dev.id, "light", "on") is True:
                lights.append(f"{dev.name} {_fmt(_v(hub, dev.id, 'light', 'brightness'))}%")
            if dev.type == "air-conditioner" and _v(hub, dev.id, "air-conditioner", "on") is True:
                ac = (f"{_v(hub, dev.id, 'air-conditioner', 'mode')} "
                      f"{_fmt(_v(hub, dev.id, 'air-conditioner', 'target-temperature'))}°C")
        table.add_row(area.name, temp, ", ".join(lights) or "[dim]off[/]", ac)
    return table


_KEY_STATE = {
    "curtain": ("curtain", ("current-position", "status")),
    "garage-door": ("garage-door", ("current-position", "status")),
    "lock": ("lock", ("locked",)),
    "door-sensor": ("magnet-sensor", ("open",)),
    "motion-sensor": ("motion-sensor", ("motion-state", "illumination")),
    "vacuum": ("vacuum", ("status",)),
    "water-heater": ("water-heater", ("temperature", "target-temperature")),
    "ev-charger": ("charger", ("status", "power", "energy")),
    "speaker": ("speaker", ("playing-state", "volume")),
    "television": ("television", ("on",)),
}


def _devices(hub: Hub) -> Table:
    table = Table("device", "state", title="devices", expand=True)
    for dev in hub.home.devices.values():
        key = _KEY_STATE.get(dev.type)
        if key is None:
            continue
        service, props = key
        table.add_row(dev.name, "  ".join(f"{p}={_fmt(_v(hub, dev.id, service, p))}" for p in props))
    return table
