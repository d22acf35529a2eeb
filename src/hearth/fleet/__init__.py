"""Fleet mode: many homes on NATS JetStream (ingress partitioned by home) and PostgreSQL (system of record),
served by workers that run the single-box automation engine per home."""

from hearth.fleet._bench import bench_fleet
from hearth.fleet._db import FleetDb, open_db
from hearth.fleet._ingest import ingest_app
from hearth.fleet._local import LocalWorkers, local_workers
from hearth.fleet._messages import CommandRequest, Reading, decode, encode
from hearth.fleet._nats import FleetError, NatsServer, connect, ensure_streams, run_nats_server
from hearth.fleet._oracle import Verdict, compare, run_oracle
from hearth.fleet._pgtest import throwaway_database
from hearth.fleet._simulate import SimulationConfig
from hearth.fleet._simulate import simulate as simulate_fleet
from hearth.fleet._status import fleet_status
from hearth.fleet._subjects import DEFAULT_PARTITIONS, ingress_subject, partition_of
from hearth.fleet._synthetic import SyntheticFleet
from hearth.fleet._worker import Worker, WorkerConfig

__all__ = [
    "DEFAULT_PARTITIONS",
    "CommandRequest",
    "FleetDb",
    "FleetError",
    "LocalWorkers",
    "NatsServer",
    "Reading",
    "SimulationConfig",
    "SyntheticFleet",
    "Verdict",
    "Worker",
    "WorkerConfig",
    "bench_fleet",
    "compare",
    "connect",
    "decode",
    "encode",
    "ensure_streams",
    "fleet_status",
    "ingest_app",
    "ingress_subject",
    "local_workers",
    "open_db",
    "partition_of",
    "run_nats_server",
    "run_oracle",
    "simulate_fleet",
    "throwaway_database",
]
