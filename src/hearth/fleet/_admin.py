"""Changing a home of a running fleet: validate the new home file or rules, store them, and tell the home's
worker through the home's own stream, so the change takes effect in order with the home's events."""

from __future__ import annotations

import time
import uuid

from hearth.automation import parse_rules
from hearth.fleet._db import FleetDb
from hearth.fleet._messages import Reload, encode
from hearth.fleet._nats import FleetError, connect
from hearth.fleet._subjects import check_home_id, ingress_subject
from hearth.model import parse_home


async def put_home(nats_url: str, db: FleetDb, home_id: str, home_yaml: str | None = None,
                   rules_yaml: str | None = None) -> str:
    """Register or change a home: its own home file and/or rules, validated before anything is stored (errors
    raise HearthError subclasses naming the file and line). Returns what was done, in words."""
    try:
        check_home_id(home_id)
    except ValueError as exc:
        raise FleetError(str(exc)) from None
    if home_yaml is None and rules_yaml is None:
        raise FleetError("nothing to change: give a home file, rules, or both")
    rows = await db.load_homes([home_id])
    if home_yaml is not None:
        home = parse_home(home_yaml, f"home {home_id}")
    elif not rows:
        raise FleetError(f"no home {home_id!r}: register it with a home file first")
    elif rows[0].template is not None:
        home = parse_home((await db.template(rows[0].template))[0], f"template {rows[0].template}")
    else:
        home = parse_home(rows[0].home_yaml or "", f"home {home_id}")
    if rules_yaml is not None:
        parse_rules(rules_yaml, home, f"home {home_id} rules")
    elif rows and rows[0].rules_yaml is not None:
        parse_rules(rows[0].rules_yaml, home, f"home {home_id} rules")  # kept rules must fit the new devices
    if home_yaml is not None:
        kept = rows[0].rules_yaml if rows and rows[0].rules_yaml is not None else "rules: []\n"
        await db.add_home(home_id, home_yaml, rules_yaml if rules_yaml is not None else kept)
    else:
        assert rules_yaml is not None
        await db.set_rules(home_id, rules_yaml)
    nc = await connect(nats_url, "hearth-admin")
    try:
        reload = Reload(f"reload-{uuid.uuid4().hex[:12]}", home_id, round(time.time(), 3))
        await nc.jetstream().publish(ingress_subject(home_id), encode(reload), headers={"Nats-Msg-Id": reload.id})
    finally:
        await nc.close()
    what = " and ".join(w for w, given in (("home file", home_yaml), ("rules", rules_yaml)) if given is not None)
    return f"home {home_id}: {what} stored; its worker reloads it in order with its events"
