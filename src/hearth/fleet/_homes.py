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

    def get(self, home: str) -> HomeRuntime | None:
        """A loaded home's runtime."""
        return self.runtimes.get(home)

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
