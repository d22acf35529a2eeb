"""Kill the hub with SIGKILL in the middle of a delay: after a restart the rest of the rule runs exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("hub_child.py")
RULES = """
- id: welcome
  triggers: [{trigger: webhook, webhook: go}]
  actions:
    - command: {device: porch_light, property: light.on, value: true}
    - delay: 60
    - command: {device: garage_light, property: light.on, value: true}
"""
T0 = 1_767_240_000.0


def _start(tmp: Path, start: float, speed: float, phase: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HEARTH_DATA_DIR": str(tmp / "data")}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(tmp / "hub.db"), str(tmp / "rules.yaml"), str(start), str(speed), phase],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _commands(lines: list[str]) -> list[tuple[str, str]]:
    return [(d["device"], d["actor"]) for d in (json.loads(x) for x in lines if x.startswith("{"))]


def test_kill_minus_9_mid_delay_then_the_action_happens_once(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    first = _start(tmp_path, T0, 1.0, "trigger")
    seen: list[str] = []
    assert first.stdout is not None
    for line in first.stdout:
        seen.append(line.strip())
        if line.strip() == "delaying":
            break
    else:
        raise AssertionError(f"the hub never reached the delay: {seen} {first.stderr.read() if first.stderr else ''}")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert _commands(seen) == [("porch_light", "rule:welcome")]

    # Restart 10 s later on the hub's clock, running 50x: the rest of the delay is resumed (on time, or late
    # within the grace period, depending on how long the hub takes to start) and runs once.
    second = _start(tmp_path, T0 + 10, 50.0, "resume")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == "stopped"
    assert _commands(lines) == [("garage_light", "rule:welcome")]
