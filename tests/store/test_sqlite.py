from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.core import (
    Actor,
    AuditRecorded,
    Bus,
    Command,
    CommandPath,
    DefaultPolicy,
    DirectAdapter,
    FakeClock,
    StateChanged,
    StateStore,
)
from hearth.errors import StoreError
from hearth.model import Home, Value
from hearth.store import SqliteStore

DAY = 86_400.0
ALICE = Actor("person", "alice", "admin")
MIA = Actor("person", "mia", "child")
TRICKY: list[Value] = [
    True, False, 1, 0, 1.0, 0.0, -0.0, 2**63 - 1, -(2**63), 2**80, 1.5, math.inf, 5e-324, "", "1", "true", "中文",
    "a\udc80b", "nul\x00in", "\\u0000", "".join(map(chr, range(1, 32))) + "\u2028\U0001f600",
]


def _wired(tmp_path: Path, **options: object) -> tuple[SqliteStore, StateStore, FakeClock, Bus]:
    bus, clock = Bus(), FakeClock(start=1_000_000.0)
    store = SqliteStore(tmp_path / "home.db", **options).open()  # type: ignore[arg-type]
    store.attach(bus)
    return store, StateStore(bus, clock), clock, bus


def test_every_value_type_round_trips_through_state_and_history(tmp_path: Path) -> None:
    store, state, clock, _ = _wired(tmp_path)
    applied = []
    for i, value in enumerate(TRICKY):
        clock.advance(1)
        state.apply("dev", "svc", f"p{i}", value)
        if state.apply("dev", "svc", "all", value) is not None:
            applied.append(value)
        store.flush()  # one batch per value: each takes the fast path unless it needs the careful one
    assert store.stats().careful_batches == 5  # 2**80, inf, lone surrogate, NUL and the escaped-NUL look-alike
    store.close()
    with SqliteStore(tmp_path / "home.db") as again:
        values, changed = again.restore()
        history = again.history("dev", "svc", "all")
    for i, value in enumerate(TRICKY):
        back = values[("dev", "svc", f"p{i}")]
        assert type(back) is type(value) and back == value and str(back) == str(value), value
        assert changed[("dev", "svc", f"p{i}")] == 1_000_000.0 + i + 1
    assert [(type(v), v) for _, v in history] == [(type(v), v) for v in applied]
    assert len(applied) == len(TRICKY) - 1  # -0.0 == 0.0 is no change


def test_nan_survives_as_nan(tmp_path: Path) -> None:
    store, state, _, _ = _wired(tmp_path)
    state.apply("dev", "svc", "p", math.nan)
    value = store.restore()[0][("dev", "svc", "p")]
    assert isinstance(value, float) and math.isnan(value)
    store.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(), min_size=1))
def test_any_sequence_of_values_reads_back_identical(tmp_path_factory: pytest.TempPathFactory,
                                                      sequence: list[Value]) -> None:
    store, state, clock, _ = _wired(tmp_path_factory.mktemp("db"))
    applied = []
    for value in sequence:
        clock.advance(1)
        if state.apply("d", "s", "p", value) is not None:
            applied.append(value)
        store.flush()
    history = [v for _, v in store.history("d", "s", "p")]
    assert [(type(v), v) for v in history] == [(type(v), v) for v in applied]
    assert type(store.restore()[0][("d", "s", "p")]) is type(applied[-1])
    store.close()


def test_history_window_and_limit_keep_the_newest(tmp_path: Path) -> None:
    store, state, clock, _ = _wired(tmp_path)
    for i in range(10):
        clock.advance(10)
        state.apply("d", "s", "p", i)
    start = 1_000_000.0
    assert [v for _, v in store.history("d", "s", "p", limit=3)] == [7, 8, 9]
    assert [v for _, v in store.history("d", "s", "p", since=start + 30, until=start + 50)] == [2, 3, 4]
    assert store.history("d", "s", "other") == []
    store.close()


def test_prune_drops_history_past_retention_but_keeps_current_state(tmp_path: Path) -> None:
    store, state, clock, _ = _wired(tmp_path, history_retention_days=30.0)
    state.apply("d", "s", "p", "old")
    clock.advance(10 * DAY)
    state.apply("d", "s", "p", "recent")
    clock.advance(25 * DAY)
    assert store.prune(clock.now()) == 1
    assert [v for _, v in store.history("d", "s", "p")] == ["recent"]
    clock.advance(30 * DAY)
    assert store.prune(clock.now()) == 1
    assert store.history("d", "s", "p") == []
    assert store.restore()[0] == {("d", "s", "p"): "recent"}
    store.close()


def test_audit_is_kept_forever_unless_it_has_a_retention(tmp_path: Path) -> None:
    store, _, clock, bus = _wired(tmp_path, audit_retention_days=7.0, history_retention_days=None)
    bus.publish(AuditRecorded(clock.now(), "c1", ALICE, "lamp", "light", "on", True, True, "ok"))
    clock.advance(8 * DAY)
    bus.publish(AuditRecorded(clock.now(), "c2", ALICE, "lamp", "light", "on", False, True, "ok"))
    assert store.prune(clock.now()) == 1
    assert [r.command_id for r in store.audit()] == ["c2"]
    store.close()


async def test_audit_lists_commands_newest_first_and_filters_by_actor(tmp_path: Path, demo_home: Home) -> None:
    store, state, clock, bus = _wired(tmp_path)
    state.load(demo_home.initial_state())
    path = CommandPath(demo_home, bus, clock, {"default": DirectAdapter(state)}, DefaultPolicy())
    await path.execute(Command("living_floor_lamp", "light", "on", True), ALICE)
    clock.advance(1)
    await path.execute(Command("living_floor_lamp", "light", "brightness", 150), MIA)
    clock.advance(1)
    await path.execute(Command("vacuum", "vacuum", action="start-sweep"), MIA)
    records = store.audit()
    assert [(r.actor, r.target, r.ok) for r in records] == [
        (MIA, "start-sweep", True), (MIA, "brightness", False), (ALICE, "on", True)]
    assert records[2].value is True and records[0].value == {}
    assert records == list(reversed(path.audit))
    assert [r.target for r in store.audit(limit=1)] == ["start-sweep"]
    assert [r.target for r in store.audit(actor=ALICE)] == ["on"]
    assert [r.target for r in store.audit(actor="person:mia")] == ["start-sweep", "brightness"]
    assert len(store.audit(actor="mia")) == 2 and store.audit(actor="rule:mia") == []
    store.close()


def test_full_queue_makes_the_publisher_wait_and_loses_nothing(tmp_path: Path) -> None:
    # The writer wakes only when pushed (flush interval of an hour), so the queue fills deterministically.
    store, state, clock, bus = _wired(tmp_path, max_pending=8, batch_size=1000, flush_interval=3600.0)
    depths: list[int] = []
    bus.subscribe(StateChanged, lambda _: depths.append(store.stats().pending))
    for i in range(100):
        clock.advance(1)
        state.apply("d", "s", "p", i)
    stats = store.stats()
    assert max(depths) <= 8
    assert stats.backpressure_waits == 12 and stats.committed_changes == 96 and stats.pending == 4
    assert [v for _, v in store.history("d", "s", "p", limit=1000)] == list(range(100))
    store.close()


def test_flush_reports_a_failed_write_instead_of_acknowledging(tmp_path: Path) -> None:
    store, state, _, _ = _wired(tmp_path, max_pending=8)
    state.apply("d", "s", "p", 1)
    store.flush()
    with sqlite3.connect(tmp_path / "home.db") as other:
        other.execute("DROP TABLE history")
    state.apply("d", "s", "p", 2)
    with pytest.raises(StoreError, match="writing failed"):
        store.flush()
    for i in range(20):  # a full queue on a failed store raises (the bus logs it) instead of waiting forever
        state.apply("d", "s", "p", 3 + i)
    with pytest.raises(StoreError, match="writing failed"):
        store.flush()
    assert store.stats().committed_changes == 1
    with pytest.raises(StoreError):
        store.close()


async def test_wait_durable_acknowledges_without_blocking(tmp_path: Path) -> None:
    store, state, _, _ = _wired(tmp_path)
    state.apply("d", "s", "p", "x")
    await store.wait_durable()
    assert store.stats().committed_changes == 1
    store.close()


def test_state_survives_reopening_and_keys_keep_their_ids(tmp_path: Path) -> None:
    store, state, _, _ = _wired(tmp_path)
    state.apply("a", "s", "p", 1)
    store.close()
    store, state, _, _ = _wired(tmp_path)
    state.apply("b", "s", "p", 2)
    state.apply("a", "s", "p", 3)
    assert store.restore()[0] == {("a", "s", "p"): 3, ("b", "s", "p"): 2}
    assert [v for _, v in store.history("a", "s", "p")] == [1, 3]
    assert store.check() == "ok"
    store.close()
    with sqlite3.connect(tmp_path / "home.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_closed_store_and_bad_files_give_clear_errors(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "x.db")
    with pytest.raises(StoreError, match="not open"):
        store.flush()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some bytes that go on for a while" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        SqliteStore(junk).open()
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(newer).open()


def test_closing_detaches_from_the_bus(tmp_path: Path) -> None:
    store, _, _, bus = _wired(tmp_path)
    assert bus.listener_count() == 2
    store.close()
    assert bus.listener_count() == 0


def test_two_stores_on_one_file_keep_property_ids_apart(tmp_path: Path) -> None:
    # e.g. a running hub and a `hearth set` from another terminal: each learns ids the other created
    first, state_a, _, _ = _wired(tmp_path)
    second, state_b, _, _ = _wired(tmp_path)
    state_a.apply("a", "s", "p", 1)
    first.flush()
    state_b.apply("b", "s", "p", 2)
    state_b.apply("a", "s", "p", 3)
    second.flush()
    state_a.apply("b", "s", "p", 4)
    first.close()
    second.close()
    with SqliteStore(tmp_path / "home.db") as store:
        assert store.restore()[0] == {("a", "s", "p"): 3, ("b", "s", "p"): 4}
        assert [v for _, v in store.history("b", "s", "p")] == [2, 4]


def test_without_exact_json_every_batch_goes_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hearth.store._writer._has_json", lambda conn: False)
    store, state, clock, _ = _wired(tmp_path)
    for value in (True, 1, 1.0, "x", 0.1):
        clock.advance(1)
        state.apply("d", "s", "p", value)
        store.flush()
    stats = store.stats()
    assert stats.batches == stats.careful_batches == 5
    assert [(type(v), v) for _, v in store.history("d", "s", "p")] == [
        (bool, True), (int, 1), (float, 1.0), (str, "x"), (float, 0.1)]
    store.close()
