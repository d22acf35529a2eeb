"""`hearth ask`: talk to the home in 中文 or English, one request or a JSONL batch."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hearth.cli._app import app, fail
from hearth.cli._session import HomeOption
from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox, run_batch
from hearth.copilot._llm_client import LLMConfig
from hearth.copilot._rules_text import TextRules
from hearth.errors import CopilotError
from hearth.hub import load_home_or_demo


@app.command()
def ask(
    text: Annotated[str | None, typer.Argument(help="the request, e.g. '把客厅的灯调到50%'")] = None,
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full JSON result")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="JSONL file of {id, text, setup?, confirm?}"
                                                               " ('-' for stdin)")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="confirm risky actions (unlock, open garage)")] = False,
    as_person: Annotated[str | None, typer.Option("--as", help="act as this person (their role applies)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="for a rule from a sentence: try it in the twin")] = False,
) -> None:
    """Ask the copilot to do something or answer a question (HEARTH_LLM_BASE_URL adds the LLM agent)."""
    loaded = load_home_or_demo(home)
    copilot = Copilot(loaded)
    copilot.rule_hook = TextRules(copilot, dry_run=dry_run)
    try:
        llm = LLMConfig.from_env()
    except CopilotError as exc:
        fail(str(exc))
    sandbox = Sandbox(loaded, copilot, llm)
    actor = sandbox.copilot.actor_for(as_person) if as_person else None
    if batch is not None:
        if batch == Path("-"):
            lines = sys.stdin.read().splitlines()
        else:
            try:
                lines = batch.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                fail(f"{batch}: cannot read ({exc.strerror})")
        for obj in asyncio.run(run_batch(sandbox, lines, actor, confirm)):
            typer.echo(json.dumps(obj, ensure_ascii=False))
        return
    if not text:
        fail("say something, e.g. hearth ask \"turn off the kitchen light\"")
    result = asyncio.run(sandbox.answer(text, None, actor, confirm))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    typer.echo(result["reply"])
    rule = result.get("slots", {}).get("rule_yaml")
    if rule and result["status"] in ("clarify", "done"):
        typer.echo(rule.rstrip())
