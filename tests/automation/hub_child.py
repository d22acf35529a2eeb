"""A hub in its own process, for the restart test: `python hub_child.py DB RULES START SPEED trigger|resume`.

`trigger` fires the rule, prints `delaying` once the delay is stored, then waits to be killed.
`resume` prints every command rules issue as JSON lines for 100 seconds of hub time, then exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from hearth.core import AuditRecorded, SystemClock, WebhookReceived
from hearth.hub import HubConfig, load_home_or_demo, open_hub


async def main(db: str, rules: str, start: float, speed: float, phase: str) -> None:
    clock = SystemClock(speed, start)
    config = HubConfig(load_home_or_demo(None), clock=clock, database=Path(db), simulate=False, rules=Path(rules))
    async with open_hub(config) as hub:
        hub.bus.subscribe(AuditRecorded, lambda a: print(json.dumps(
            {"device": a.device, "target": a.target, "value": a.value, "actor": str(a.actor)}), flush=True)
            if a.actor.kind == "rule" else None)
        if phase == "trigger":
            hub.bus.publish(WebhookReceived(clock.now(), "go"))
            print("delaying", flush=True)
            await asyncio.Event().wait()
        await clock.sleep(100)
    print("stopped", flush=True)


if __name__ == "__main__":
    db_path, rules_path, start_text, speed_text, which = sys.argv[1:6]
    asyncio.run(main(db_path, rules_path, float(start_text), float(speed_text), which))
