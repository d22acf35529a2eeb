from __future__ import annotations

from pathlib import Path

from hearth.automation._prefs import enabled_overrides, user_rules_path
from tests.api.conftest import Running

RULE = """
- id: evening_balcony
  name: Balcony light at 22:00
  triggers:
    - trigger: time
      at: "22:00"
  actions:
    - command: {device: balcony_light, property: light.on, value: true}
"""


async def test_demo_rules_are_listed_and_switch_persists(served: Running, tmp_path: Path) -> None:
    async with served.client("adult") as client:
        rules = (await client.get("/api/rules")).json()
        assert len(rules) >= 5 and all({"id", "name", "enabled"} <= set(r) for r in rules)
        rule_id = rules[0]["id"]
        off = await client.post(f"/api/rules/{rule_id}/disable")
        assert off.status_code == 200 and off.json()["enabled"] is False
        again = {r["id"]: r for r in (await client.get("/api/rules")).json()}
        assert again[rule_id]["enabled"] is False
        assert (await client.get(f"/api/rules/{rule_id}/traces")).status_code == 200
        assert (await client.get("/api/rules/nope/traces")).status_code == 404
    assert enabled_overrides(tmp_path)[rule_id] is False


async def test_children_cannot_change_rules(served: Running) -> None:
    async with served.client("child") as client:
        rules = (await client.get("/api/rules")).json()
        assert (await client.post(f"/api/rules/{rules[0]['id']}/disable")).status_code == 403
        assert (await client.post("/api/rules", json={"yaml": RULE})).status_code == 403


async def test_added_rule_is_validated_kept_and_running(served: Running, tmp_path: Path) -> None:
    async with served.client("admin") as client:
        bad = await client.post("/api/rules", json={"yaml": RULE.replace("balcony_light", "moon_light")})
        assert bad.status_code == 422 and "moon_light" in bad.json()["error"]
        assert not user_rules_path(served.hub.home, tmp_path).exists()
        added = await client.post("/api/rules", json={"yaml": RULE})
        assert added.status_code == 201, added.text
        assert added.json()[0]["id"] == "evening_balcony"
        dup = await client.post("/api/rules", json={"yaml": RULE})
        assert dup.status_code == 422
    assert "evening_balcony" in served.hub.services["automation"].rules
    assert "evening_balcony" in user_rules_path(served.hub.home, tmp_path).read_text(encoding="utf-8")


async def test_scenes_apply_through_the_command_path(served: Running) -> None:
    async with served.client("adult") as client:
        scenes = (await client.get("/api/scenes")).json()
        assert scenes, "the demo rules define scenes"
        applied = await client.post(f"/api/scenes/{scenes[0]['id']}/activate")
        assert applied.status_code == 200
        assert (await client.post("/api/scenes/nope/activate")).status_code == 404
    assert any(r.actor.id == "bob" for r in served.hub.commands.audit)
