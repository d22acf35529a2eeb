"""Accuracy on Hearth's own bilingual suites (demo household and a differently named flat with a custom type)."""

from __future__ import annotations

from tests.copilot.suite_runner import score_suites


def test_suite_accuracy_and_refusals() -> None:
    score = score_suites()
    report = "\n".join(score.failures)
    print(f"copilot suite: {score.accuracy:.1%} right ({score.right}/{score.total}), "
          f"refusals {score.refusal_rate:.1%} ({score.refusals_right}/{score.refusals})")
    assert score.total >= 190
    assert score.accuracy >= 0.90, report
    assert score.refusal_rate >= 0.95, report


def test_second_home_is_understood_on_its_own_names() -> None:
    score = score_suites(["flat.jsonl"])
    assert score.accuracy >= 0.90, "\n".join(score.failures)
