"""Phones over HTTP against a real hub on 127.0.0.1: OwnTracks HTTP mode and the location webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hearth.hub import Hub, HubConfig, open_hub
from hearth.model import parse_home

HOME_FILE = """
home: {location: {latitude: 31.2304, longitude: 121.4737}, home_radius: 150}
zones:
  - {id: office, name: Office, latitude: 31.2397, longitude: 121.4998, radius: 300}
people:
  - {id: alice, name: Alice, role: admin, devices: [alice_phone]}
  - {id: bob, name: Bob, devices: [bob_phone]}
devices:
  - {id: alice_phone, type: phone, adapter: phone, binding: {owntracks: alice/pixel, token: alice-secret-1}}
  - {id: bob_phone, type: phone, adapter: phone, binding: {owntracks: bob/iphone}}
  - {id: lamp, type: light}
"""
LOCATION = {"_type": "location", "lat": 31.2397, "lon": 121.4998, "tst": 1767225700, "acc": 9, "batt": 61, "bs": 1}
OWNTRACKS_HEADERS = {"X-Limit-U": "alice", "X-Limit-D": "pixel"}


@dataclass
class Served:
    hub: Hub
    url: str

    def tokens(self) -> dict[str, str]:
        """Hearth users (each hashed password costs time: only the tests that need them ask)."""
        users = self.hub.services["users"]
        users.add("alice", "correct horse", "admin", "alice")
        users.add("bob", "battery staple", "adult", "bob")
        users.add("carol", "another one", "adult")
        return {name: users.new_token(name, "test") for name in ("alice", "bob", "carol")}

    def client(self, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10, **kw)

    def get(self, device: str, service: str, prop: str) -> Any:
        return self.hub.state.get(device, service, prop)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    config = HubConfig(parse_home(HOME_FILE, "test.yaml"), simulate=False, http_host="127.0.0.1", http_port=0,
                       data_dir=tmp_path)
    async with open_hub(config) as hub:
        yield Served(hub, hub.services["http"].url)


async def test_owntracks_http_with_basic_auth(served: Served) -> None:
    async with served.client(auth=("alice", "alice-secret-1")) as client:
        response = await client.post("/api/phone/owntracks", json=LOCATION, headers=OWNTRACKS_HEADERS)
    assert response.status_code == 200 and response.json() == []
    assert served.get("alice_phone", "location", "latitude") == 31.2397
    assert served.get("alice_phone", "battery", "battery-level") == 61
    assert served.get("alice", "presence", "zone") == "office"
    assert served.get("alice", "presence", "at-home") is False


async def test_owntracks_http_identity_from_the_topic_and_token_in_the_url(served: Served) -> None:
    body = {**LOCATION, "topic": "owntracks/alice/pixel"}
    async with served.client() as client:
        response = await client.post("/api/phone/owntracks?token=alice-secret-1", json=body)
        transition = await client.post("/api/phone/owntracks?token=alice-secret-1", json={
            "_type": "transition", "event": "enter", "desc": "home", "tst": 1767225800,
            "topic": "owntracks/alice/pixel/event"})
    assert (response.status_code, transition.status_code) == (200, 200)
    assert served.get("alice", "presence", "at-home") is True


async def test_a_hearth_token_works_for_admins_and_for_ones_own_phone(served: Served) -> None:
    headers = {"X-Limit-U": "bob", "X-Limit-D": "iphone"}
    tokens = served.tokens()
    for name, status in (("bob", 200), ("alice", 200), ("carol", 401)):
        async with served.client(headers={"Authorization": f"Bearer {tokens[name]}", **headers}) as client:
            response = await client.post("/api/phone/owntracks", json={**LOCATION, "tst": LOCATION["tst"] + len(name)})
        assert response.status_code == status, (name, response.text)


async def test_wrong_or_missing_credentials_are_refused_without_change(served: Served) -> None:
    before = dict(served.hub.state.values)
    async with served.client() as client:
        no_auth = await client.post("/api/phone/owntracks", json=LOCATION, headers=OWNTRACKS_HEADERS)
        wrong = await client.post("/api/phone/owntracks?token=nope-nope-nope", json=LOCATION,
                                  headers=OWNTRACKS_HEADERS)
        other_phone = await client.post("/api/phone/owntracks?token=alice-secret-1", json=LOCATION,
                                        headers={"X-Limit-U": "bob", "X-Limit-D": "iphone"})
        unknown = await client.post("/api/phone/owntracks?token=alice-secret-1", json=LOCATION,
                                    headers={"X-Limit-U": "eve", "X-Limit-D": "x"})
        anonymous = await client.post("/api/phone/owntracks?token=alice-secret-1", json=LOCATION)
    assert [r.status_code for r in (no_auth, wrong, other_phone, unknown)] == [401] * 4
    assert no_auth.headers["www-authenticate"].startswith("Basic")
    assert "credentials" in no_auth.json()["error"]
    assert anonymous.status_code == 400 and "X-Limit-U" in anonymous.json()["error"]
    assert dict(served.hub.state.values) == before


async def test_bad_payloads_get_a_clear_4xx_and_change_nothing(served: Served) -> None:
    before = dict(served.hub.state.values)
    async with served.client(auth=("alice", "alice-secret-1"), headers=OWNTRACKS_HEADERS) as client:
        not_json = await client.post("/api/phone/owntracks", content=b"{lat: 1")
        bad_lat = await client.post("/api/phone/owntracks", json={**LOCATION, "lat": 123})
        no_type = await client.post("/api/phone/owntracks", json={"lat": 1, "lon": 2})
        too_big = await client.post("/api/phone/owntracks", content=b" " * 70_000)
    assert (not_json.status_code, bad_lat.status_code, no_type.status_code, too_big.status_code) == (
        400, 422, 422, 413)
    assert "latitude 123" in bad_lat.json()["error"]
    assert dict(served.hub.state.values) == before


async def test_stale_owntracks_fixes_are_ignored(served: Served) -> None:
    async with served.client(auth=("alice", "alice-secret-1"), headers=OWNTRACKS_HEADERS) as client:
        await client.post("/api/phone/owntracks", json=LOCATION)
        older = {**LOCATION, "lat": 31.30, "lon": 121.60, "tst": LOCATION["tst"] - 60}
        response = await client.post("/api/phone/owntracks", json=older)
    assert response.status_code == 200
    assert served.get("alice_phone", "location", "latitude") == 31.2397


async def test_location_webhook(served: Served) -> None:
    async with served.client(headers={"Authorization": "Bearer alice-secret-1"}) as client:
        plain = await client.post("/api/phone/alice_phone", json={"latitude": 31.2304, "longitude": 121.4737,
                                                                  "accuracy": 5, "battery": 90, "charging": True})
        home_assistant = await client.post("/api/phone/alice_phone", json={
            "type": "update_location", "data": {"gps": [31.2397, 121.4998], "gps_accuracy": 20, "battery": 89}})
        stale = await client.post("/api/phone/alice_phone", json={"latitude": 1, "longitude": 1, "timestamp": 5})
        bad = await client.post("/api/phone/alice_phone", json={"latitude": 31.2, "longitude": 121.4, "speed": 1})
        not_mine = await client.post("/api/phone/bob_phone", json={"latitude": 1, "longitude": 1})
        not_a_phone = await client.post("/api/phone/lamp", json={"latitude": 1, "longitude": 1})
    assert plain.json() == {"status": "applied", "zone": "home", "reason": ""}
    assert home_assistant.json()["zone"] == "office"
    assert stale.json()["status"] == "stale"
    assert bad.status_code == 422 and "speed" in bad.json()["error"]
    assert (not_mine.status_code, not_a_phone.status_code) == (401, 401)
    assert served.get("alice_phone", "battery", "battery-level") == 89
    assert served.get("alice", "presence", "zone") == "office"


async def test_without_bound_phones_the_routes_say_so(tmp_path: Path) -> None:
    config = HubConfig(parse_home("devices:\n  - {id: lamp, type: light}\n", "t.yaml"), simulate=False,
                       http_host="127.0.0.1", http_port=0, data_dir=tmp_path)
    async with open_hub(config) as hub, httpx.AsyncClient(base_url=hub.services["http"].url) as client:
        response = await client.post("/api/phone/owntracks", json=LOCATION)
    assert response.status_code == 404 and "adapter: phone" in response.json()["error"]
