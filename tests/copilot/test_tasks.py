"""Household jobs asked for by the job: which appliance each names, and what is left to the ordinary reading."""

from __future__ import annotations

import pytest

from hearth.copilot._tasks import job_of


@pytest.mark.parametrize(("text", "lang", "appliance"), [
    ("brew a pot of coffee", "en", "coffee machine"), ("帮我煮杯咖啡", "zh", "coffee machine"),
    ("烤个面包", "zh", "toaster"), ("wash the dishes", "en", "dishwasher"), ("洗一下碗", "zh", "dishwasher"),
    ("do the laundry", "en", "washing machine"), ("dry the clothes", "en", "dryer"), ("烧点水", "zh", "kettle"),
    ("煮饭", "zh", "rice cooker"), ("heat up the leftovers", "en", "microwave"), ("make some ice", "en", "ice maker"),
])
def test_a_job_names_its_appliance(text: str, lang: str, appliance: str) -> None:
    job = job_of(text, lang)
    assert job is not None and job.appliances[0][0] == appliance


@pytest.mark.parametrize(("text", "lang"), [
    ("how do I cook rice", "en"), ("米饭怎么煮", "zh"), ("turn on the dishwasher", "en"), ("打开洗碗机", "zh"),
    ("tell me a joke", "en"), ("warm up the garage", "en"),
])
def test_how_to_questions_and_named_appliances_are_no_job(text: str, lang: str) -> None:
    assert job_of(text, lang) is None
