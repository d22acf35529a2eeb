"""A private Mosquitto on a free port (tests, benchmarks, trying Hearth out): readiness read from its log."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import threading
import time
from pathlib import Path

from hearth.errors import AdapterError

MOSQUITTO = os.environ.get("HEARTH_MOSQUITTO", "/usr/sbin/mosquitto")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalMosquitto:
    """Starts and stops a broker; `persistence=True` keeps sessions and queued QoS 1 messages across restarts."""

    def __init__(self, folder: Path, *, persistence: bool = False) -> None:
        self.folder = folder
        self.port = free_port()
        self.persistence = persistence
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until the log says it is listening; fail loudly if it cannot."""
        conf = self.folder / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "log_dest stderr",
                 "log_type error", "log_type warning", "log_type notice", "log_type information"]
        if os.geteuid() == 0:
            lines.append("user root")  # otherwise it drops to `mosquitto`, who cannot write our temp folder
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.folder}/", "autosave_interval 0"]
        conf.write_text("\n".join(lines) + "\n")
        if not Path(MOSQUITTO).exists():
            raise AdapterError(f"mosquitto not found at {MOSQUITTO} (set HEARTH_MOSQUITTO)")
        self._proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self._proc.stderr is not None
        stream = self._proc.stderr
        deadline = time.monotonic() + 10
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(stream.fileno(), 4096) if ready else b""
            if not chunk:
                break
            seen += chunk
            if b" running" in seen:
                # stderr is unbuffered, so this log line is a real readiness signal; keep draining the log so a
                # chatty broker never blocks on a full pipe.
                threading.Thread(target=stream.read, daemon=True).start()
                return
        self.stop()
        raise AdapterError(f"mosquitto did not start on port {self.port}:\n{seen.decode(errors='replace')}")

    def stop(self) -> None:
        """Stop gracefully (persistence is written on SIGTERM)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
