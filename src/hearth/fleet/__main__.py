"""`python -m hearth.fleet …` is `hearth fleet …` (how local worker processes are started)."""

from hearth.cli._fleet import fleet_app

fleet_app(prog_name="hearth fleet")
