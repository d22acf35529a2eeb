"""A worker batch: messages of the partitions a worker owns, run through their homes' engines, then state,
history, commands, timers and every touched partition's new offset committed in one round trip.

Delivery is at-least-once and the effect exactly-once: the offsets live in PostgreSQL next to what the
messages caused, so a worker that takes a partition over resumes at the last commit and replays the rest;
command ids do not depend on the worker, so a replayed command is written once (and JetStream's
`Nats-Msg-Id` de-duplication publishes it once). A lease epoch fences a worker that lost its lease: the whole
batch is refused and the worker reloads what it still owns from the database.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from hearth.fleet._consumer import Delivered
from hearth.fleet._db import TRANSIENT, FleetDb, PartitionMark, RuntimeRow
from hearth.fleet._homes import HomeCache
from hearth.fleet._messages import BadMessage, CommandRequest, Message, Reading, decode
from hearth.fleet._publisher import Publisher
from hearth.fleet._runtime import ROUNDS, Change, HomeRuntime, IssuedCommand, settle
from hearth.fleet._subjects import command_subject

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
    """A partition this worker holds a lease on: its epoch, committed offset and watermark, and where it stands
    (`adopted` once its homes with timers are loaded; `lost` or `unwanted` when it must go)."""

    number: int
    epoch: int
    offset: int
    watermark: float
    stats: PartitionStats = field(default_factory=PartitionStats)
    adopted: bool = False
    lost: bool = False
    unwanted: bool = False
    timers: list[tuple[float, str]] = field(default_factory=list)
    unacked: dict[int, int] = field(default_factory=dict)  # commit offset → its commands not yet acknowledged
    published: int = -1  # the published offset last stored
    read: int = -1  # the offset and watermark run in memory: ahead of the committed ones while a commit is out
    read_watermark: float = 0.0

    def __post_init__(self) -> None:
        self.rewind(self.offset, self.watermark)

    def rewind(self, offset: int, watermark: float) -> None:
        """Stand at a committed offset and watermark (after a claim, or a refused commit)."""
        self.offset = self.read = offset
        self.watermark = self.read_watermark = watermark

    @property
    def serving(self) -> bool:
        """Whether its messages are read and run now."""
        return self.adopted and not self.lost


async def adopt(part: Partition, db: FleetDb, homes: HomeCache, publisher: Publisher) -> None:
    """Start serving a partition: publish commands a previous owner may not have, load homes with timers."""
    await homes.evict(part.number)
    part.timers.clear()
    part.unacked.clear()
    await publish_commands(publisher, parts={part.number: part},
                           commands=[(c, part.number, seq) for c, seq in await db.unpublished(part.number)])
    waiting = {home: (part.number, 0.0) for home in await db.homes_with_timers(part.number)}
    for runtime in await homes.load(waiting):
        _watch(part, runtime)
    part.adopted = True


@dataclass
class _Batch:
    """What one batch did, per partition and overall."""

    last_seq: dict[int, int] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    watermarks: dict[int, float] = field(default_factory=dict)
    touched: dict[str, tuple[HomeRuntime, Partition]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A batch run in memory, waiting for its commit: what to write and how many messages it covers."""

    marks: list[PartitionMark]
    rows: list[tuple[RuntimeRow, int]]
    changes: list[tuple[str, Change]]
    commands: list[tuple[IssuedCommand, int, int]]
    published: dict[int, int]
    handled: int


async def run_batch(delivered: Sequence[Delivered], parts: dict[int, Partition], homes: HomeCache,
                    publisher: Publisher) -> Prepared | None:
    """Run a batch through its homes' engines and gather what to commit; None when nothing in it is new.

    The partitions' read offsets move on at once, so the next batch can run while this one is committed; if the
    commit is refused, the worker reloads its homes from the database and reads on from the committed offsets."""
    batch = _Batch()
    parsed = _parse(delivered, parts, batch)
    if not batch.counts:
        return None
    missing: dict[str, tuple[int, float]] = {}
    runtimes = homes.runtimes
    for part, home, message in parsed:
        if message is not None and home not in missing and home not in runtimes:
            missing[home] = (part.number, message.time)
    if missing:
        await homes.load(missing)
    await _run(parsed, homes, batch)
    for p in batch.counts:
        await _fire_due(parts[p], homes, batch.watermarks[p], batch.touched)
    await settle()
    changes: list[tuple[str, Change]] = []
    commands: list[tuple[IssuedCommand, int, int]] = []
    rows: list[tuple[RuntimeRow, int]] = []
    last_seq = batch.last_seq
    for home, (runtime, part) in batch.touched.items():
        ch, issued = runtime.take()
        if ch:
            changes += [(home, c) for c in ch]
        if issued:
            seq = last_seq[part.number]
            commands += [(c, part.number, seq) for c in issued]
        timers = runtime.timers.take_json()
        if timers is not None:
            rows.append((RuntimeRow(home, runtime.clock.now(), timers), part.number))
        _watch(part, runtime)
    marks = [PartitionMark(p, parts[p].epoch, last_seq[p], batch.watermarks[p], n) for p, n in batch.counts.items()]
    for mark in marks:
        part = parts[mark.partition]
        part.read, part.read_watermark = mark.offset, mark.watermark
    return Prepared(marks, rows, changes, commands, published_marks(parts, publisher.take_acked()),
                    sum(batch.counts.values()))


async def commit_prepared(prepared: Prepared, parts: dict[int, Partition], worker: str, db: FleetDb,
                          publisher: Publisher) -> int:
    """Commit a prepared batch (raises Fenced if a lease moved), then publish its commands; returns its size."""
    await db.commit_batch(worker, prepared.marks, prepared.rows, prepared.changes, prepared.commands,
                          prepared.published)
    note_published(parts, prepared.published)
    for mark in prepared.marks:
        part = parts.get(mark.partition)
        if part is None:
            continue
        part.offset, part.watermark = mark.offset, mark.watermark
        part.stats.events += mark.events
        part.stats.batches += 1
    for _, p, _ in prepared.commands:
        if p in parts:
            parts[p].stats.commands += 1
    await publish_commands(publisher, parts, prepared.commands)
    return prepared.handled


def _parse(delivered: Sequence[Delivered], parts: dict[int, Partition], batch: _Batch
           ) -> list[tuple[Partition, str, Message | None]]:
    parsed: list[tuple[Partition, str, Message | None]] = []
    last_seq, counts = batch.last_seq, batch.counts
    for d in delivered:
        home = d.home
        part = parts.get(d.partition)
        if part is None or not part.serving or d.seq <= last_seq.get(part.number, part.read):
            continue  # not ours (any more), or run before the consumer was re-opened
        last_seq[part.number] = d.seq
        counts[part.number] = counts.get(part.number, 0) + 1
        try:
            message: Message | None = decode(home, d.data)
        except BadMessage as exc:
            log.warning("%s", exc)
            part.stats.bad += 1
            message = None
        parsed.append((part, home, message))
    for p in counts:
        batch.watermarks[p] = parts[p].read_watermark
    return parsed


async def _run(parsed: list[tuple[Partition, str, Message | None]], homes: HomeCache, batch: _Batch) -> None:
    """Feed each home its messages in order. Homes move in lock-step: a home with a timer due before its next
    message runs what is due, and one `settle` lets every home's woken rule runs go on together (homes share
    nothing but the event loop), instead of one settle per home and due instant."""
    touched, watermarks, runtimes = batch.touched, batch.watermarks, homes.runtimes
    queues: dict[str, deque[tuple[Partition, Message]]] = {}
    for part, home, message in parsed:
        runtime = runtimes.get(home)
        if runtime is None or message is None:
            continue
        touched[home] = (runtime, part)
        if message.time > watermarks[part.number]:
            watermarks[part.number] = message.time
        queue = queues.get(home)
        if queue is None:
            queues[home] = queue = deque()
        queue.append((part, message))
    while queues:
        woken = False
        for home, queue in list(queues.items()):
            runtime = runtimes[home]
            while queue:
                part, message = queue[0]
                try:
                    if runtime.step_due(message.time):
                        woken = True
                        break
                    if isinstance(message, Reading):
                        runtime.feed_now(message)
                    elif isinstance(message, CommandRequest):
                        await runtime.run_command(message)
                    else:
                        await settle(ROUNDS)  # the home's woken runs finish on the engine they started on
                        runtime.clock.advance(max(0.0, message.time - runtime.clock.now()))
                        reloaded = await homes.reload(home)
                        if reloaded is None:
                            queue.clear()
                            break
                        runtime = reloaded
                        touched[home] = (runtime, part)
                except TRANSIENT:
                    raise  # the database is away: the worker reloads from the last commit, this batch included
                except Exception as exc:  # one home's bad reading must not stop its partition; logged and counted
                    log.warning("home %s: %s", home, exc)
                    part.stats.bad += 1
                queue.popleft()
            if not queue:
                del queues[home]
        if woken:
            await settle(ROUNDS)


async def _fire_due(part: Partition, homes: HomeCache, watermark: float,
                    touched: dict[str, tuple[HomeRuntime, Partition]]) -> None:
    """Move idle homes with timers due by the partition's watermark (their delays and holds fire on time)."""
    heap, seen, due_homes = part.timers, set(), []
    while heap and heap[0][0] <= watermark:
        _, home = heapq.heappop(heap)
        runtime = homes.runtimes.get(home)
        if runtime is None or home in seen:
            continue  # gone, or listed twice (a home is listed again whenever its next timer changes)
        seen.add(home)
        runtime.watched = None  # its listing is used up: the next `_watch` lists it again
        due = runtime.next_due()
        if due is not None and due <= watermark:
            due_homes.append(runtime)
            touched[home] = (runtime, part)
    while due_homes:
        woken = []
        for runtime in due_homes:
            if runtime.step_due(watermark):
                woken.append(runtime)
            else:
                runtime.clock.advance(max(0.0, watermark - runtime.clock.now()))
        due_homes = woken
        if woken:
            await settle(ROUNDS)


def _watch(part: Partition, runtime: HomeRuntime) -> None:
    due = runtime.next_due()
    if due is not None and due != runtime.watched:  # listed once per due time, not once per batch
        heapq.heappush(part.timers, (due, runtime.id))
        runtime.watched = due


async def publish_commands(publisher: Publisher, parts: dict[int, Partition],
                           commands: Sequence[tuple[IssuedCommand, int, int]]) -> None:
    """Put committed commands (with their partition and commit offset) on the command stream; acknowledgements
    come back later and move the partitions' published offsets (`published_marks`)."""
    for _, p, seq in commands:
        part = parts.get(p)
        if part is not None:
            part.unacked[seq] = part.unacked.get(seq, 0) + 1
    await publisher.publish_many([
        (command_subject(c.home, c.device), orjson.dumps({"id": c.id, "t": c.time, "s": c.service, "target": c.target,
                                                          "v": c.value, "by": c.actor}, default=str),
         (p, seq), f"{c.home}/{c.id}") for c, p, seq in commands])


def published_marks(parts: dict[int, Partition], acked: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Count acknowledged commands off; return the partitions whose published offset moves, and where to: just
    below the oldest commit with a command still unacknowledged, or the committed offset when there is none."""
    for p, seq in acked:
        part = parts.get(p)
        if part is None:
            continue  # a partition given up since: its next owner republishes what is not marked
        left = part.unacked.get(seq, 0) - 1
        if left > 0:
            part.unacked[seq] = left
        else:
            part.unacked.pop(seq, None)
    moved: dict[int, int] = {}
    for p, part in parts.items():
        if not part.adopted:
            continue
        mark = min(part.unacked) - 1 if part.unacked else part.offset
        if mark > part.published:
            moved[p] = mark
    return moved


def note_published(parts: dict[int, Partition], marks: dict[int, int]) -> None:
    """Remember published offsets once they are stored."""
    for p, mark in marks.items():
        if p in parts:
            parts[p].published = mark
