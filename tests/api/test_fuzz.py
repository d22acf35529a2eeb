"""Schemathesis over the live hub's published OpenAPI: no input, valid or not, makes the API fail with a 5xx.

The hub runs on this test's event loop; the fuzzer is synchronous (requests), so it runs in a worker thread
while the loop keeps serving. Each operation gets a bounded number of generated cases, positive and negative.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Running

# Cases per operation and generation mode; the whole run stays under a minute. Raise it for a deeper run:
# HEARTH_FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py
EXAMPLES = int(os.environ.get("HEARTH_FUZZ_EXAMPLES", "15"))
# Password hashing (argon2) is slow on purpose, so operations that hash get fewer cases.
HASHING = {("POST", "/api/login"), ("POST", "/api/users"), ("POST", "/api/setup")}
HASHING_EXAMPLES = max(1, EXAMPLES // 3)
# Ending the caller's own session (its bearer token) would log the fuzzer out half way through.
EXCLUDED = {("POST", "/api/logout")}


def _no_server_error(unbound: tuple[str, ...]) -> Any:
    """`not_a_server_error`, except the documented 503 of a subsystem this hub does not run."""

    def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
        if response.status_code == 503 and case.operation.path.startswith(unbound):
            return None
        return not_a_server_error(ctx, response, case)

    return no_server_error


def _checks(unbound: tuple[str, ...]) -> list[Any]:
    return [_no_server_error(unbound), status_code_conformance, content_type_conformance,
            response_schema_conformance]


@dataclass
class Report:
    """What the fuzzer did: cases per operation and every failure it found."""

    cases: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """The live API under test: its address, the admin's token and the checks for its responses."""

    url: str
    token: str
    checks: list[Any]


def _fuzz_operation(operation: Any, mode: GenerationMode, target: Target, report: Report) -> None:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {target.token}"}
    key = (operation.method.upper(), operation.path)
    label = f"{key[0]} {key[1]} ({mode.value})"

    examples = HASHING_EXAMPLES if key in HASHING else EXAMPLES

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        report.cases[label] = report.cases.get(label, 0) + 1
        response = case.call(base_url=target.url, session=session, headers=headers, timeout=10)
        try:
            case.validate_response(response, checks=target.checks, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                report.failures.append(f"{label}: {failure.title} -> {response.status_code} "
                                       f"{response.text[:160]}\n  {case.as_curl_command(headers)}")

    started = time.perf_counter()
    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # an operation without parameters has no invalid input; every one has valid input
    report.seconds[label] = time.perf_counter() - started


def _fuzz(target: Target) -> Report:
    schema = schemathesis.openapi.from_url(target.url + "/openapi.json")
    report = Report()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, target, report)
    return report


async def _in_thread(fn: Callable[[], Report]) -> Report:
    return await asyncio.to_thread(fn)


async def test_no_generated_request_makes_a_server_error(served: Running) -> None:
    started = time.perf_counter()
    unbound = tuple(path for path, service in (("/api/phone", "phone"), ("/api/cameras", "perception"))
                    if service not in served.hub.services)
    target = Target(served.url, served.tokens["admin"], _checks(unbound))
    report = await _in_thread(lambda: _fuzz(target))
    seconds = time.perf_counter() - started
    print(f"schemathesis: {sum(report.cases.values())} cases over {len(report.cases)} operation/modes "
          f"in {seconds:.1f} s")
    for label, secs in sorted(report.seconds.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {secs:5.1f} s  {label}")
    assert len(report.cases) >= 30, sorted(report.cases)
    assert not report.failures, "\n".join(report.failures[:30])


async def test_openapi_documents_the_error_body(served: Running) -> None:
    async with served.client(None) as client:
        spec = (await client.get("/openapi.json")).json()
    command = spec["paths"]["/api/commands"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(command)
    ref = command["422"]["content"]["application/json"]["schema"]["$ref"]
    assert spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["required"] == ["error"]
