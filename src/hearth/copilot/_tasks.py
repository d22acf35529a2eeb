"""Household jobs asked for by the job ("brew some coffee", "洗一下碗"): the appliance that does it, or why not."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hearth.copilot._lexicon import load_section
from hearth.copilot._reply import say


class _Clause(Protocol):
    issue: Any
    plans: list[Any]
    answer: Any


@dataclass(frozen=True, slots=True)
class Job:
    """A job and the appliances that do it, best first, each as (English word, Chinese word)."""

    en: re.Pattern[str]
    zh: re.Pattern[str]
    appliances: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Task:
    """What a job request comes to: a plain request for the home's appliance, or a refusal naming the one missing."""

    plain: str | None
    reply: str


def _jobs() -> tuple[Job, ...]:
    return tuple(Job(re.compile(j["en"]), re.compile(j["zh"]), tuple((a[0], a[1]) for a in j["appliances"]))
                 for j in load_section("tasks")["tasks"])


JOBS = _jobs()
_HOW_TO = re.compile(r"\bhow (do|does|to|can|should|would|long)\b|\brecipes?\b|怎么|如何|怎样|教我|菜谱|做法")


def job_of(text: str, lang: str) -> Job | None:
    """The job a request asks for, unless it names the appliance itself."""
    low = text.lower()
    if _HOW_TO.search(low):
        return None  # "how do I cook rice", "米饭怎么煮": a question about cooking, not a job for the home
    for job in JOBS:
        if (job.zh if lang == "zh" else job.en).search(low) is None:
            continue
        if any(en in low or zh in low for en, zh in job.appliances):
            return None
        return job
    return None


Understand = Callable[[str], Sequence[_Clause]]


def task_for(text: str, lang: str, clauses: Sequence[_Clause], understand: Understand) -> Task | None:
    """Switch on the home's appliance for a job it was asked for, or refuse by the appliance's name.

    A request the ordinary reading can already carry out (a custom coffee machine's brew action) is left alone.
    """
    if clauses and all(c.issue is None and (c.plans or c.answer is not None) for c in clauses):
        return None
    job = job_of(text, lang)
    if job is None:
        return None
    for en, zh in job.appliances:
        plain = f"打开{zh}" if lang == "zh" else f"turn on the {en}"
        found = understand(plain)
        if found and all(c.issue is None and c.plans for c in found):
            return Task(plain, "")
    en, zh = job.appliances[0]
    return Task(None, say("no_type", lang, type=zh if lang == "zh" else en))
