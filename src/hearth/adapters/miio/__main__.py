"""Run a simulated miIO device: `python -m hearth.adapters.miio --type light` (or `--spec miot.json`).

It prints the `binding:` to paste into a home file and answers on 127.0.0.1 until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from hearth.adapters.miio._miot import miot_instance
from hearth.adapters.miio._simulator import MiioDeviceSimulator
from hearth.errors import HearthError
from hearth.model import builtin_types


async def _serve(args: argparse.Namespace) -> None:
    spec = args.spec or miot_instance(builtin_types()[args.type].spec)
    async with MiioDeviceSimulator(spec, token=args.token, did=args.did, host=args.host, port=args.port) as sim:
        source = f'spec: "{args.spec}"' if args.spec else f"type: {args.type}"
        print(f"simulated miIO device ({source}) on {sim.host}:{sim.port}")
        print(f"  binding: {{host: {sim.host}, port: {sim.port}, token: {sim.token_hex}, did: {sim.did}"
              + (f', spec: "{args.spec}"' if args.spec else "") + "}")
        sys.stdout.flush()
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m hearth.adapters.miio", description=__doc__)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--spec", help="MIoT instance JSON file")
    what.add_argument("--type", choices=sorted(builtin_types()), help="a Hearth catalog type")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=54321)
    parser.add_argument("--token", help="32 hex digits (random if omitted)")
    parser.add_argument("--did", type=int, default=1234)
    args = parser.parse_args(argv)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args))
    except (HearthError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
