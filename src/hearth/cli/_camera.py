"""`hearth camera`: list cameras, try a source, grab a snapshot, show events and camera rules, watch live."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hearth.cli._app import app, fail
from hearth.cli._session import HomeOption
from hearth.core import Bus, PerceptionDetected, StateStore, SystemClock
from hearth.hub import load_home_or_demo
from hearth.model import Home

camera_app = typer.Typer(help="Cameras as sensors: sources, events, snapshots and camera rules.", no_args_is_help=True)
app.add_typer(camera_app, name="camera")

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
DataOption = Annotated[Path | None, typer.Option("--data-dir", help="data directory ($HEARTH_DATA_DIR or .hearth)")]
RulesOption = Annotated[Path | None, typer.Option("--rules", help="camera rules file")]


def _data_dir(path: Path | None) -> Path:
    return path or Path(os.environ.get("HEARTH_DATA_DIR") or ".hearth")


def _settings(house: Home, simulate: bool = True) -> dict[str, Any]:
    from hearth.perception import camera_settings

    return dict(camera_settings(house, simulate))


@camera_app.command("list")
def list_(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the home's cameras and how each is read."""
    from hearth.perception._service import _shown

    house = load_home_or_demo(home)
    settings = _settings(house)
    rows: list[dict[str, Any]] = []
    for device in house.devices.values():
        if device.type != "camera":
            continue
        s = settings.get(device.id)
        rows.append({"id": device.id, "name": device.name, "area": device.area,
                     "source": _shown(s) if s else None, "kind": s.kind if s else None,
                     "fps": s.fps if s else None, "vlm": bool(s and s.vlm),
                     "privacy_masks": len(s.privacy_masks) if s else 0})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("id", "name", "area", "source", "fps", "vlm", "privacy masks")
    for row in rows:
        table.add_row(row["id"], row["name"], row["area"] or "", row["source"] or "(no source)",
                      f"{row['fps']:g}" if row["fps"] else "", "yes" if row["vlm"] else "no", str(row["privacy_masks"]))
    Console().print(table)


@camera_app.command()
def test(
    source: Annotated[str, typer.Argument(help="rtsp://…, http://…/snapshot.jpg, …/video.mjpg, a video or a folder")],
    frames: Annotated[int, typer.Option("--frames", min=1, help="how many frames to read")] = 30,
    fps: Annotated[float, typer.Option("--fps", min=0.01, help="frames per second to read")] = 5.0,
    sensitivity: Annotated[float, typer.Option("--sensitivity", min=0.0, max=1.0)] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Read frames from a source through the motion gate and the detectors, and say what was seen."""
    from hearth.perception import CameraSettings

    settings = CameraSettings.parse("test", {"source": source, "fps": fps, "sensitivity": sensitivity, "loop": False})
    if settings.kind == "twin":
        fail("'twin' cameras live in the hub; try 'hearth camera watch'")
    report = asyncio.run(_try_source(settings, frames))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    for line in report["log"]:
        typer.echo(line)
    typer.echo(f"{report['frames']} frames ({report['size']}), gate open on {report['gate_frames']}, "
               f"detectors ran {report['detector_runs']} times (p50 {report['detector_p50_ms']} ms); "
               f"most people {report['max_people']}, most faces {report['max_faces']}")


async def _try_source(settings: Any, frames: int) -> dict[str, Any]:
    from hearth.perception import Detectors, MotionGate, open_source

    clock = SystemClock()
    source = open_source(settings, clock.now)
    gate, detectors = MotionGate(settings.sensitivity), Detectors()
    log: list[str] = []
    seen = runs = people = faces = 0
    latencies: list[float] = []
    size = ""
    await source.open()
    try:
        for index in range(frames):
            started = time.monotonic()
            image = await source.read()
            if image is None:
                break
            seen += 1
            size = f"{image.shape[1]}×{image.shape[0]}"
            result = gate.update(image, clock.now())
            if result.open or index == 0:
                found = await asyncio.to_thread(detectors.detect, image)
                runs += 1
                latencies.append(found.seconds)
                people, faces = max(people, found.count("person")), max(faces, found.count("face"))
                log.append(f"frame {index}: {'motion' if result.motion else 'still'} ({result.changed:.1%} changed), "
                           f"{found.count('person')} people, {found.count('face')} faces")
            if source.paced:
                await asyncio.sleep(max(0.0, 1.0 / settings.fps - (time.monotonic() - started)))
    finally:
        await source.close()
    latencies.sort()
    return {"source": settings.source, "kind": settings.kind, "frames": seen, "size": size,
            "gate_frames": gate.open_frames, "detector_runs": runs,
            "detector_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else 0.0,
            "max_people": people, "max_faces": faces, "log": log}


@camera_app.command()
def snapshot(
    camera: Annotated[str, typer.Argument(help="a camera id of the home, or a source address")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JPEG file to write")] = Path("snapshot.jpg"),
    home: HomeOption = None,
) -> None:
    """Save one frame as JPEG, with the camera's privacy masks applied."""
    from hearth.perception import CameraSettings

    house = load_home_or_demo(home)
    settings = _settings(house).get(camera)
    if settings is None:
        if camera in house.devices:
            fail(f"{camera} has no source (set binding.source in the home file)")
        settings = CameraSettings.parse("snapshot", {"source": camera})
    jpeg = asyncio.run(_grab(settings, house))
    output.write_bytes(jpeg)
    typer.echo(f"wrote {output} ({len(jpeg) // 1024} KiB)")


async def _grab(settings: Any, house: Home) -> bytes:
    from hearth.perception import PrivacyMask, TwinCamera, encode_jpeg, open_source
    from hearth.perception._sources import Source

    clock = SystemClock()
    source: Source
    if settings.kind == "twin":
        bus = Bus()
        state = StateStore(bus, clock)
        state.load(house.initial_state())
        source = TwinCamera(settings.camera, settings.area, house, bus, state, clock, width=settings.width)
    else:
        source = open_source(settings, clock.now)
    await source.open()
    try:
        image = await source.read()
    finally:
        await source.close()
    if image is None:
        fail("the source sent no frame")
    return encode_jpeg(PrivacyMask(settings.privacy_masks).apply(image))


@camera_app.command()
def events(
    data: DataOption = None,
    camera: Annotated[str | None, typer.Option("--camera", help="only this camera")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show the newest stored perception events (with their snapshot files)."""
    from hearth.perception import EventLog

    folder = _data_dir(data) / "perception"
    if not folder.is_dir():
        fail(f"no perception events in {folder} yet (they are kept while 'hearth serve' runs)")
    log = EventLog(folder)
    found = log.recent(camera, limit)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in found], ensure_ascii=False, indent=1))
        return
    for event in found:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.time))
        picture = f"  {folder / (event.id + '.jpg')}" if event.snapshot else ""
        label = f" {event.label}" if event.label else ""
        reason = f" — {event.reason}" if event.reason else ""
        typer.echo(f"{when}  {event.camera}  {event.kind}{label} ×{event.count}{reason}{picture}")
    if not found:
        typer.echo("no events")


@camera_app.command()
def rules(home: HomeOption = None, rules_file: RulesOption = None, data: DataOption = None,
          as_json: JsonOption = False) -> None:
    """Check and list the camera rules the hub would run."""
    from hearth.perception import camera_rules_for, load_camera_rules
    from hearth.perception._rules import describe

    house = load_home_or_demo(home)
    loaded = load_camera_rules(rules_file, house) if rules_file else camera_rules_for(house, _data_dir(data))
    rows = [describe(r) for r in loaded]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for rule in loaded:
        what = f"detect {rule.detect} ≥ {rule.min_count}" if rule.detect else f"ask “{rule.ask}”"
        extra = f", quiet {rule.quiet_hours}" if rule.quiet_hours else ""
        typer.echo(f"{rule.id}: {rule.camera}: {what}; {rule.mode} mode, confirm {rule.confirm.share:.0%} of "
                   f"{rule.confirm.seconds:g} s, cooldown {rule.cooldown:g} s{extra}")
    if not loaded:
        typer.echo("no camera rules")


@camera_app.command()
def watch(
    home: HomeOption = None,
    speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 60.0,
    duration: Annotated[float | None, typer.Option(help="stop after this many real seconds")] = None,
) -> None:
    """Run the hub with its cameras (the twin's when simulated) and print perception events as they come."""
    from hearth.hub import HubConfig, open_hub
    from hearth.perception import hub as _perception_hub  # noqa: F401  (registers the cameras' subsystem)

    house = load_home_or_demo(home)
    config = HubConfig(house, clock=SystemClock(speed), simulate=True, speed=speed)

    async def run() -> None:
        async with open_hub(config) as running:
            def show(ev: PerceptionDetected) -> None:
                when = time.strftime("%H:%M:%S", time.localtime(ev.time))
                label = f" {ev.label}" if ev.label else ""
                typer.echo(f"{when}  {ev.camera}  {ev.kind}{label} ×{ev.count}  {ev.confidence:.2f}")

            remove = running.bus.subscribe(PerceptionDetected, show)
            cameras = ", ".join(running.services["perception"].cameras) or "none"
            typer.echo(f"watching cameras: {cameras} (Ctrl-C to stop)")
            try:
                await asyncio.sleep(duration if duration is not None else float("inf"))
            finally:
                remove()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
