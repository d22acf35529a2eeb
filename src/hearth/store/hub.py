"""Hub wiring: open the database, restore state, persist the bus, prune old history on a schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack

from hearth.errors import StoreError
from hearth.hub import Hub, HubConfig, register_subsystem
from hearth.store._restore import restorable
from hearth.store._sqlite import SqliteStore

PRUNE_EVERY = 3600.0

log = logging.getLogger(__name__)


@register_subsystem(10)
async def start_store(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """When the config names a database: restore the home's state from it and persist every change."""
    if config.database is None:
        return
    store = SqliteStore(config.database)
    await asyncio.to_thread(store.open)
    stack.push_async_callback(asyncio.to_thread, store.close)
    values, changed = await asyncio.to_thread(store.restore)
    hub.state.load(*restorable(hub.home, values, changed))
    stack.callback(store.attach(hub.bus))
    stack.callback(_schedule_pruning(hub, store))
    hub.services["store"] = store


def _schedule_pruning(hub: Hub, store: SqliteStore) -> Callable[[], None]:
    """Prune now and every PRUNE_EVERY seconds of the hub's clock; returns the undo."""
    pending: list[Callable[[], None]] = []

    def prune() -> None:
        try:
            store.prune(hub.clock.now(), wait=False)
        except StoreError as exc:
            log.error("history pruning failed: %s", exc)
        pending[:] = [hub.clock.call_at(hub.clock.now() + PRUNE_EVERY, prune)]

    prune()

    def cancel() -> None:
        for undo in pending:
            undo()

    return cancel
