"""The worker's cache of hot homes: parsed templates shared by many homes, and one runtime per active home."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.automation import RuleSet, parse_rules
from hearth.fleet._db import FleetDb, HomeRow
from hearth.fleet._runtime import HomeRuntime, MemoryTimers
from hearth.model import Home, Value, parse_home


class HomeCache:
    """Runtimes of the homes this worker serves, loaded from PostgreSQL in batches on first use."""

    def __init__(self, db: FleetDb) -> None:
        self._db = db
        self._templates: dict[str, tuple[Home, RuleSet]] = {}
        self.runtimes: dict[str, HomeRuntime] = {}
        self.unknown = 0

    async def load(self, homes: Mapping[str, tuple[int, float]]) -> list[HomeRuntime]:
        """Load and start homes not yet in the cache: home → (partition, clock start if it never ran)."""
        missing = [h for h in homes if h not in self.runtimes]
        if not missing:
            return []
        loaded: list[HomeRuntime] = []
        for row in await self._db.load_homes(missing):
            home, rules = await self._definition(row)
            partition, start = homes[row.id]
            clock = row.clock if row.clock is not None else start
            runtime = HomeRuntime(row.id, home, rules, clock, partition, state=_canonical(home, row.state),
                                  timers=MemoryTimers.rows_from_json(row.timers))
            await runtime.start()
            self.runtimes[row.id] = runtime
            loaded.append(runtime)
        self.unknown += len(missing) - len(loaded)
        return loaded

    async def reload(self, home_id: str) -> HomeRuntime | None:
        """Rebuild a loaded home from its definition and rules as stored now, keeping its clock, state, pending
        timers and what it collected for the batch in hand; None if the home is no longer registered."""
        old = self.runtimes.get(home_id)
        if old is None:
            return None
        rows = await self._db.load_homes([home_id])
        await old.stop()
        if not rows:
            del self.runtimes[home_id]
            return None
        if rows[0].template is not None:
            self._templates.pop(rows[0].template, None)  # the template itself may have changed
        home, rules = await self._definition(rows[0])
        state = {key: value for key, value in old.state.values.items() if key[0] in home.devices}
        runtime = HomeRuntime(home_id, home, rules, old.clock.now(), old.partition, state=state,
                              timers=old.timers.rows.values())
        runtime.adopt_pending(old)
        await runtime.start()
        self.runtimes[home_id] = runtime
        return runtime

    async def evict(self, partition: int) -> None:
        """Stop and forget every home of a partition (its state in memory may be ahead of the database)."""
        for home_id in [h for h, rt in self.runtimes.items() if rt.partition == partition]:
            runtime = self.runtimes.pop(home_id)
            await runtime.stop()

    async def _definition(self, row: HomeRow) -> tuple[Home, RuleSet]:
        if row.template is not None:
            cached = self._templates.get(row.template)
            if cached is None:
                home_yaml, rules_yaml = await self._db.template(row.template)
                home = parse_home(home_yaml, f"template {row.template}")
                cached = (home, parse_rules(rules_yaml, home, f"template {row.template} rules"))
                self._templates[row.template] = cached
            if row.rules_yaml is not None:  # the home's own rules over the template's devices
                return cached[0], parse_rules(row.rules_yaml, cached[0], f"home {row.id} rules")
            return cached
        home = parse_home(row.home_yaml or "", f"home {row.id}")
        return home, parse_rules(row.rules_yaml or "", home, f"home {row.id} rules")


def _canonical(home: Home, state: dict[tuple[str, str, str], Any]) -> dict[tuple[str, str, str], Value]:
    # JSON loses the int/float distinction; the spec restores each value's canonical type.
    out: dict[tuple[str, str, str], Value] = {}
    for (device, service, prop), value in state.items():
        dev = home.devices.get(device)
        if dev is not None:
            out[(device, service, prop)] = dev.spec.property(service, prop).validate(value)
    return out
