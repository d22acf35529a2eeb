"""Copilot speed: utterances per second and latency percentiles on a generated 1,000-device home."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import yaml

from hearth.copilot._batch import Sandbox
from hearth.model import Home, parse_home

_ROOMS = [("Living room", "客厅"), ("Kitchen", "厨房"), ("Bedroom", "卧室"), ("Study", "书房"), ("Bathroom", "卫生间"),
          ("Guest room", "客房"), ("Dining room", "餐厅"), ("Hallway", "走廊"), ("Balcony", "阳台"),
          ("Garage", "车库")]
_KINDS = [("light", "ceiling light", "吊灯"), ("light", "lamp", "台灯"), ("air-conditioner", "air conditioner", "空调"),
          ("curtain", "curtains", "窗帘"), ("temperature-humidity-sensor", "thermometer", "温湿度计"),
          ("fan", "fan", "风扇"), ("switch", "plug", "插座"), ("speaker", "speaker", "音箱")]


def big_home(devices: int = 1000, seed: int = 7) -> Home:
    """A home with `devices` devices spread over many rooms, named in both languages."""
    rng = random.Random(seed)
    per_room = len(_KINDS)
    rooms = max(1, devices // per_room)
    areas: list[dict[str, Any]] = []
    devs: list[dict[str, Any]] = []
    for r in range(rooms):
        en, zh = _ROOMS[r % len(_ROOMS)]
        n = r // len(_ROOMS) + 1
        areas.append({"id": f"room{r}", "name": f"{en} {n}", "aliases": [f"{zh}{n}号"]})
        for k, (kind, en_word, zh_word) in enumerate(_KINDS):
            if len(devs) >= devices:
                break
            devs.append({"id": f"d{r}_{k}", "name": f"{en} {n} {en_word}", "aliases": [f"{zh}{n}号{zh_word}"],
                         "area": f"room{r}", "type": kind})
    rng.shuffle(devs)
    doc = {"home": {"id": "big", "name": "Big home"}, "areas": areas, "devices": devs,
           "people": [{"id": "owner", "name": "Owner", "role": "admin"}]}
    return parse_home(yaml.safe_dump(doc, allow_unicode=True), "big_home.yaml")


def utterances(home: Home, n: int, seed: int = 3) -> list[str]:
    """A mix of commands and questions in both languages about the home's devices."""
    rng = random.Random(seed)
    devices = [d for d in home.devices.values() if d.type != "person"]
    out = []
    for i in range(n):
        dev = rng.choice(devices)
        zh = dev.aliases[0] if dev.aliases else dev.name
        area = home.areas[dev.area].name if dev.area else ""
        pick = i % 8
        if pick == 0:
            out.append(f"turn on the {dev.name}")
        elif pick == 1:
            out.append(f"把{zh}关掉")
        elif pick == 2:
            out.append(f"set the {dev.name} to {rng.randint(20, 80)}%")
        elif pick == 3:
            out.append(f"{zh}调高一点")
        elif pick == 4:
            out.append(f"is the {dev.name} on?")
        elif pick == 5:
            out.append(f"turn off the lights in the {area}")
        elif pick == 6:
            out.append(f"{zh}现在是什么状态？")
        else:
            out.append("tell me a joke" if rng.random() < 0.5 else f"把{zh}的亮度调到150%")
    return out


def bench_copilot(n: int = 1000, devices: int = 1000) -> dict[str, Any]:
    """Run `n` utterances on a `devices`-device home; return rate and p50/p99 latency in ms."""
    home = big_home(devices)
    started = time.perf_counter()
    sandbox = Sandbox(home)
    index_s = time.perf_counter() - started
    texts = utterances(home, n)

    async def run() -> list[float]:
        times = []
        for text in texts:
            t0 = time.perf_counter()
            await sandbox.ask(text)
            times.append((time.perf_counter() - t0) * 1000)
        return times

    t0 = time.perf_counter()
    times = asyncio.run(run())
    total = time.perf_counter() - t0
    times.sort()
    return {
        "utterances": n,
        "devices": devices,
        "utterances_per_s": round(n / total, 1),
        "p50_ms": round(times[len(times) // 2], 3),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
        "index_build_s": round(index_s, 3),
    }
