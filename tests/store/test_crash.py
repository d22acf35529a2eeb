"""kill -9 a process that writes through the store; every acknowledged change must be in the reopened file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hearth.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
ACKS_BEFORE_KILL = 40


def _run_and_kill(db: Path, start: int) -> int:
    """Start the writer process, read ACK lines, SIGKILL it mid-stream; return the last acknowledged n."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_child", str(db), str(start)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "READY", child.stderr.read() if child.stderr else ""
        acked = start - 1
        for _ in range(ACKS_BEFORE_KILL):
            line = child.stdout.readline()
            assert line.startswith("ACK "), f"unexpected output {line!r}"
            n = int(line.split()[1])
            assert n > acked
            acked = n
        os.kill(child.pid, signal.SIGKILL)  # while it keeps writing the next chunks
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        assert child.stderr is not None
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return acked


def test_acknowledged_changes_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    start = 0
    for _ in range(ROUNDS):
        acked = _run_and_kill(db, start)
        with SqliteStore(db) as store:
            assert store.check() == "ok"
            values, _ = store.restore()
            for prop in range(7):
                history = [v for _, v in store.history("dev", "svc", f"p{prop}", limit=1_000_000)]
                acked_here = [n for n in range(acked + 1) if n % 7 == prop]
                # every acknowledged change is there, in order; later, unacknowledged commits may follow
                assert history[: len(acked_here)] == acked_here
                assert values[("dev", "svc", f"p{prop}")] == history[-1]
            audited = {r.command_id for r in store.audit(limit=1_000_000)}
            assert {f"c{n}" for n in range(acked + 1)} <= audited
            # the next run continues after whatever committed, acknowledged or not
            start = max(int(str(r.value)) for r in store.audit(limit=1)) + 1
