"""One owned partition: read its messages from JetStream from the committed offset, run them through the
homes' engines, and commit state, history, commands, timers and the new offset in one transaction.

Delivery is at-least-once and the effect exactly-once: the offset lives in PostgreSQL next to what the
messages caused, so a worker that takes a partition over resumes at the last commit and replays the rest;
command ids do not depend on the worker, so a replayed command is written once (and JetStream's
`Nats-Msg-Id` de-duplication publishes it once). A lease epoch fences a worker that lost its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
from dataclasses import dataclass, field

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from hearth.fleet._db import FleetDb, RuntimeRow
from hearth.fleet._homes import HomeCache
from hearth.fleet._messages import BadMessage, Message, decode
from hearth.fleet._runtime import Change, HomeRuntime, IssuedCommand, settle
from hearth.fleet._subjects import INGRESS_STREAM, command_subject, home_of, partition_subject

log = logging.getLogger(__name__)


@dataclass
class PartitionStats:
    """Counters of one partition in this worker."""

    events: int = 0
    commands: int = 0
    batches: int = 0
    bad: int = 0


@dataclass
class Partition:
    """A partition this worker holds: its lease epoch and where its committed offset stands."""

    number: int
    epoch: int
    offset: int
    watermark: float
    stats: PartitionStats = field(default_factory=PartitionStats)
    stopping: bool = False
    _timers: list[tuple[float, str]] = field(default_factory=list)

    def consumer(self) -> str:
        """The JetStream consumer name for this partition."""
        return f"part-{self.number}"


async def run_partition(part: Partition, worker: str, js: JetStreamContext, db: FleetDb, homes: HomeCache,
                        batch: int = 500, ready: asyncio.Event | None = None) -> None:
    """Serve one partition until `part.stopping` is set (after a commit) or the task is cancelled."""
    try:
        await _republish(part, js, db)
        timer_homes = await db.homes_with_timers(part.number)
        for runtime in await homes.load(timer_homes, part.number, {}):
            _watch(part, runtime)
        sub = await _subscribe(part, js)
        if ready is not None:
            ready.set()
        while not part.stopping:
            try:
                msgs = await sub.fetch(batch, timeout=0.5)
            except (NatsTimeout, TimeoutError):
                continue
            if msgs:
                await _handle(part, worker, msgs, js, db, homes)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    finally:
        await homes.evict(part.number)


async def _subscribe(part: Partition, js: JetStreamContext) -> JetStreamContext.PullSubscription:
    name = part.consumer()
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(INGRESS_STREAM, name)  # a previous owner's position means nothing now
    start = ({"deliver_policy": js_api.DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": part.offset + 1}
             if part.offset > 0 else {"deliver_policy": js_api.DeliverPolicy.ALL})
    await js.add_consumer(INGRESS_STREAM, js_api.ConsumerConfig(
        durable_name=name, filter_subject=partition_subject(part.number), ack_policy=js_api.AckPolicy.NONE,
        max_waiting=4, **start))
    return await js.pull_subscribe_bind(durable=name, stream=INGRESS_STREAM)


async def _handle(part: Partition, worker: str, msgs: list, js: JetStreamContext, db: FleetDb,  # type: ignore[type-arg]
                  homes: HomeCache) -> None:
    parsed: list[tuple[str, Message | None]] = []
    first_time: dict[str, float] = {}
    for msg in msgs:
        _, home = home_of(msg.subject)
        try:
            message: Message | None = decode(home, msg.data)
            assert message is not None
            first_time.setdefault(home, message.time)
        except BadMessage as exc:
            log.warning("%s", exc)
            part.stats.bad += 1
            message = None
        parsed.append((home, message))
    await homes.load((h for h, m in parsed if m is not None and homes.get(h) is None), part.number, first_time)
    touched: dict[str, HomeRuntime] = {}
    watermark = part.watermark
    for home, message in parsed:
        runtime = homes.get(home)
        if runtime is None or message is None:
            continue
        try:
            await runtime.feed(message)
        except Exception as exc:  # one home's bad reading must not stop its partition; it is logged and counted
            log.warning("home %s: %s", home, exc)
            part.stats.bad += 1
        touched[home] = runtime
        watermark = max(watermark, message.time)
    await _fire_due(part, homes, watermark, touched)
    await settle()
    changes: list[tuple[str, Change]] = []
    commands: list[IssuedCommand] = []
    rows: list[RuntimeRow] = []
    for home, runtime in touched.items():
        ch, issued = runtime.take()
        changes.extend((home, c) for c in ch)
        commands.extend(issued)
        rows.append(RuntimeRow(home, runtime.clock.now(), runtime.timers.to_json()))
        _watch(part, runtime)
    offset = msgs[-1].metadata.sequence.stream
    await db.commit(part.number, worker, part.epoch, offset, watermark, len(msgs), rows, changes, commands)
    part.offset, part.watermark = offset, watermark
    part.stats.events += len(msgs)
    part.stats.batches += 1
    part.stats.commands += len(commands)
    await _publish(js, commands)
    await db.mark_published(commands)


async def _fire_due(part: Partition, homes: HomeCache, watermark: float, touched: dict[str, HomeRuntime]) -> None:
    """Move idle homes with timers due by the partition's watermark (their delays and holds fire on time)."""
    heap = part._timers
    while heap and heap[0][0] <= watermark:
        _, home = heapq.heappop(heap)
        runtime = homes.get(home)
        if runtime is None:
            continue
        due = runtime.next_due()
        if due is None or due > watermark:
            continue
        await runtime.advance_to(watermark)
        touched[home] = runtime


def _watch(part: Partition, runtime: HomeRuntime) -> None:
    due = runtime.next_due()
    if due is not None:
        heapq.heappush(part._timers, (due, runtime.id))


async def _republish(part: Partition, js: JetStreamContext, db: FleetDb) -> None:
    """Publish commands a previous owner committed but may not have published (de-duplicated by id)."""
    pending = await db.unpublished(part.number)
    await _publish(js, pending)
    await db.mark_published(pending)


async def _publish(js: JetStreamContext, commands: list[IssuedCommand]) -> None:
    if not commands:
        return
    await asyncio.gather(*(js.publish(command_subject(c.home, c.device), json.dumps(
        {"id": c.id, "t": c.time, "s": c.service, "target": c.target, "v": c.value, "by": c.actor},
        separators=(",", ":"), default=str).encode(), headers={"Nats-Msg-Id": f"{c.home}/{c.id}"})
        for c in commands))
