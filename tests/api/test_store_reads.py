"""History and audit come from the hub's database when it has one (read off the event loop)."""

from __future__ import annotations

from pathlib import Path

import httpx

from hearth.hub import HubConfig, load_home_or_demo, open_hub


async def test_history_and_audit_are_read_from_the_database(tmp_path: Path) -> None:
    config = HubConfig(load_home_or_demo(None), simulate=False, http_host="127.0.0.1", http_port=0,
                       data_dir=tmp_path, database=tmp_path / "home.db")
    async with open_hub(config) as hub:
        assert hub.services.get("store") is not None
        users = hub.services["users"]
        users.add("alice", "correct horse", "admin", "alice")
        token = users.new_token("alice", "test")
        async with httpx.AsyncClient(base_url=hub.services["http"].url, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            for level in (10, 20, 30):
                reply = await client.post("/api/commands", json={"device": "living_floor_lamp", "service": "light",
                                                                 "property": "brightness", "value": level})
                assert reply.status_code == 200, reply.text
            history = (await client.get("/api/devices/living_floor_lamp/history/light/brightness")).json()
            audit = (await client.get("/api/audit", params={"limit": 3})).json()
    assert [p["value"] for p in history["points"]][-3:] == [10, 20, 30]
    assert [a["device"] for a in audit] == ["living_floor_lamp"] * 3
