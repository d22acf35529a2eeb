"""A real hub with its HTTP server on a free loopback port, and logged-in clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hearth.hub import Hub, HubConfig, load_home_or_demo, open_hub


@dataclass
class Running:
    """A hub serving HTTP, with tokens for each role."""

    hub: Hub
    url: str
    tokens: dict[str, str]

    def client(self, role: str | None = "admin") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Running]:
    config = HubConfig(load_home_or_demo(None), simulate=False, http_host="127.0.0.1", http_port=0,
                       data_dir=tmp_path)
    async with open_hub(config) as hub:
        users = hub.services["users"]
        users.add("alice", "correct horse", "admin", "alice")
        users.add("bob", "battery staple", "adult", "bob")
        users.add("mia", "kid password", "child", "mia")
        users.add("visitor", "guest password", "guest")
        tokens = {role: users.new_token(name, "test") for role, name in
                  (("admin", "alice"), ("adult", "bob"), ("child", "mia"), ("guest", "visitor"))}
        yield Running(hub, hub.services["http"].url, tokens)
