"""Run one benchmark job in this (fresh) interpreter and print its result as one JSON line.

Usage: `python -m hearth.bench._child JOB [--quick]`. The parent process reads the last stdout line.
"""

from __future__ import annotations

import json
import sys

from hearth.bench._jobs import Unavailable, job


def main(argv: list[str]) -> int:
    """Measure the named job; print `{"figures": …, "details": …}` or `{"unavailable": reason}`."""
    if not argv:
        print("usage: python -m hearth.bench._child JOB [--quick]", file=sys.stderr)
        return 2
    quick = "--quick" in argv[1:]
    try:
        figures, details = job(argv[0]).measure(quick)
    except Unavailable as exc:
        print(json.dumps({"unavailable": str(exc)}))
        return 0
    print(json.dumps({"figures": figures, "details": details}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
