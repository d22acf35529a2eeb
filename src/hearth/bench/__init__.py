"""`hearth bench`: Hearth's speed and memory figures, measured each in a fresh process and judged by targets.

Later subsystems join by shipping a `_bench` module: `hearth.store._bench.bench_persistence(n)`,
`hearth.automation._bench.bench_automations(rules, with_condition)` and `rss_with_rules(rules)`,
`hearth.copilot._bench.bench_copilot(n)`. Each returns a number or a mapping of named figures
(`changes_per_s`, `automations_per_s`, `p50_ms`, `p99_ms`, `rss_mb`, `utterances_per_s`).
"""

from hearth.bench._jobs import JOBS, SECTIONS, Job
from hearth.bench._run import REFERENCE, TARGETS, UNITS, Target, run_bench, select

__all__ = ["JOBS", "REFERENCE", "SECTIONS", "TARGETS", "UNITS", "Job", "Target", "run_bench", "select"]
