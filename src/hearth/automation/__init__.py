"""Automations: YAML rules with triggers, conditions and actions, run by an engine with traces and
restart-safe timers."""

from hearth.automation._engine import Engine
from hearth.automation._expr import compile_expression
from hearth.automation._loader import load_rules, parse_rule, parse_rules
from hearth.automation._model import Rule, RuleSet, Scene
from hearth.automation._run import Run
from hearth.automation._timers import TimerStore
from hearth.automation._trace import Trace

__all__ = [
    "Engine",
    "Rule",
    "RuleSet",
    "Run",
    "Scene",
    "TimerStore",
    "Trace",
    "compile_expression",
    "load_rules",
    "parse_rule",
    "parse_rules",
]
