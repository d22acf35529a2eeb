"""`hearth set` and `hearth call` with --hub reach a running hub's devices through its API, as the token's user."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from hearth.cli._app import _register, app

from .conftest import Running


async def _cli(*args: str) -> tuple[int, str]:
    _register()
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.output


async def test_set_goes_through_the_running_hub(served: Running) -> None:
    code, out = await _cli("set", "living_floor_lamp", "light.brightness", "37", "--hub", served.url,
                           "--token", served.tokens["admin"])
    assert code == 0, out
    assert "light.brightness = 37" in out
    assert served.hub.state.get("living_floor_lamp", "light", "brightness") == 37
    record = served.hub.commands.audit[-1]
    assert (record.device, record.actor.id, record.ok) == ("living_floor_lamp", "alice", True)


async def test_the_hub_s_refusals_and_bad_tokens_are_reported(served: Running) -> None:
    code, out = await _cli("set", "living_floor_lamp", "light.brightness", "900", "--hub", served.url,
                           "--token", served.tokens["admin"])
    assert code != 0 and "refused (422)" in out, out
    code, out = await _cli("set", "living_floor_lamp", "light.on", "true", "--hub", served.url, "--token", "nope")
    assert code != 0 and "refused (401)" in out, out
    assert served.hub.state.get("living_floor_lamp", "light", "brightness") != 900
