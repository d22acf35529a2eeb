"""Short, specific replies in the user's language."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from hearth.copilot._lexicon import _load
from hearth.model import PropertySpec, Value

_LABELS: dict[str, tuple[str, str]] = {
    "on": ("power", "开关"), "brightness": ("brightness", "亮度"), "color-temperature": ("color temperature", "色温"),
    "target-temperature": ("temperature", "温度"), "temperature": ("temperature", "温度"),
    "relative-humidity": ("humidity", "湿度"), "target-humidity": ("target humidity", "目标湿度"),
    "volume": ("volume", "音量"), "mute": ("mute", "静音"), "fan-level": ("fan speed", "风速"),
    "mode": ("mode", "模式"),
    "target-position": ("position", "开合度"), "current-position": ("position", "开合度"),
    "horizontal-swing": ("swing", "摆风"), "battery-level": ("battery", "电量"), "charging-current":
    ("charging current", "充电电流"), "power": ("power draw", "功率"), "energy": ("energy", "电能"),
    "status": ("status", "状态"), "pm2.5-density": ("PM2.5", "PM2.5"), "illumination": ("illuminance", "光照"),
    "heart-rate": ("heart rate", "心率"), "locked": ("lock", "门锁"), "motion-state": ("motion", "有人移动"),
    "occupancy-status": ("occupancy", "有人"), "recording": ("recording", "录像"),
    "motion-detection": ("motion detection", "移动侦测"), "playing-state": ("playback", "播放状态"),
    "StateOfCharge.Current": ("battery", "电量"), "Range": ("range", "续航"),
    "ChargeLimit": ("charge limit", "充电上限"),
    "Driver.Temperature": ("cabin temperature", "车内温度"), "Passenger.Temperature": ("passenger temperature",
                                                                                    "副驾温度"),
    "AmbientAirTemperature": ("cabin temperature", "车内温度"), "AirTemperature": ("outside temperature", "车外温度"),
    "FanSpeed": ("fan speed", "风量"), "IsAirConditioningActive": ("air conditioning", "空调"),
    "IsFrontDefrosterActive": ("defroster", "除霜"), "HeatingCooling": ("seat heating", "座椅加热"),
    "Window.Position": ("window", "车窗"), "Speed": ("speed", "车速"), "TraveledDistance": ("odometer", "总里程"),
    "IsCharging": ("charging", "充电"), "StartStopCharging": ("charging", "充电"),
}
_UNITS = {"percentage": "%", "celsius": "°C", "kelvin": "K", "watt": " W", "kWh": " kWh", "ampere": " A",
          "lux": " lx", "bpm": " bpm", "μg/m3": " μg/m³", "km/h": " km/h"}


def label(prop: PropertySpec, lang: str) -> str:
    """What to call a property in a reply."""
    name = prop.name
    for key, pair in _LABELS.items():
        if name == key or name.endswith("." + key):
            return pair[1] if lang == "zh" else pair[0]
    if prop.description and (lang == "en" or any("\u4e00" <= c <= "\u9fff" for c in prop.description)):
        return prop.description
    tail = name.rsplit(".", 1)[-1]
    return tail.replace("-", " ").lower()


@cache
def _choice_words() -> dict[str, str]:
    return {k.lower(): str(v["zh"][0]) for k, v in _load("values").items() if v.get("zh")}


def value_text(prop: PropertySpec | None, value: Value | None, lang: str) -> str:
    """Format a value with its unit, in the reply's language."""
    if isinstance(value, bool):
        if lang == "zh":
            return "开" if value else "关"
        return "on" if value else "off"
    if isinstance(value, str):
        if lang == "zh":
            return _choice_words().get(value.lower(), value)
        return value.lower() if value.isupper() else value
    if value is None:
        return "?"
    number = f"{value:g}" if isinstance(value, float) else str(value)
    unit = prop.unit if prop else None
    if unit == "celsius" and lang == "zh":
        return f"{number}度"
    if unit == "meters":
        return f"{value / 1000:g}公里" if lang == "zh" else f"{value / 1000:g} km"
    return number + _UNITS.get(unit or "", f" {unit}" if unit and unit not in ("none",) else "")


def join(names: Sequence[str], lang: str) -> str:
    """List names the way each language does."""
    if lang == "zh":
        return "、".join(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def the(name: str, lang: str) -> str:
    """English article for a device name (not for people's names)."""
    if lang == "zh" or (name[:1].isupper() and "'" in name):
        return name
    return f"the {name}"


MESSAGES: dict[str, tuple[str, str]] = {
    "no_area": ("This home has no {place}.", "家里没有{place}。"),
    "none_in_area": ("There is no such device in {areas}.", "{areas}没有这个设备。"),
    "type_not_in_area": ("There is no {type} in {areas}.", "{areas}没有{type}。"),
    "nothing_in_area_can": ("Nothing in {areas} can do that.", "{areas}没有能做这件事的设备。"),
    "no_reading": ("There is no {what} reading in {areas}: nothing there measures it.",
                   "{areas}没有测{what}的设备，读不到{what}。"),
    "nothing_can": ("No device in this home can do that.", "家里没有能做这件事的设备。"),
    "no_type": ("This home has no {type}.", "家里没有{type}。"),
    "no_person_room": ("No room in this home is linked to {who}.", "家里没有哪个房间是{who}的。"),
    "unknown_thing": ("I can't find \"{what}\" in this home.", "家里没有找到“{what}”。"),
    "which_device": ("Which one do you mean: {options}?", "您指的是哪一个：{options}？"),
    "which_area": ("Which room do you mean: {options}?", "您指的是哪个房间：{options}？"),
    "no_property": ("The {device} has no {what}.", "{device}没有{what}这个功能。"),
    "read_only": ("The {device} {what} can't be changed; it can only be read.",
                  "{device}的{what}只能查看，不能设置。"),
    "read_only_device": ("The {device} is read-only: it only reports readings and can't be set.",
                         "{device}只能查看读数，不能设置。"),
    "no_level": ("The {device} {what} has no level {value}; its choices are {options}.",
                 "{device}的{what}没有{value}档，可选：{options}。"),
    "no_zone": ("There is no zone {value} on the {device}; its zones are {options}.",
                "{device}没有{value}区，可选的区：{options}。"),
    "out_of_range": ("{value} is out of range for the {device} {what} ({low}–{high}).",
                     "{device}的{what}只能在{low}到{high}之间，{value}超出了范围。"),
    "bad_value": ("The {device} can't be set to {value}: {why}", "{device}不能设为{value}：{why}"),
    "no_choice": ("The {device} has no {value} {what}; it offers {options}.",
                  "{device}没有“{value}”{what}，可选：{options}。"),
    "cannot": ("The {device} can't {action}.", "{device}不支持{action_zh}。"),
    "what_value": ("What should I set the {device} to?", "要把{device}调到多少？"),
    "what_do": ("What should I do with the {device}?", "要对{device}做什么？"),
    "confirm": ("Please confirm: {reason} ({device})? Say it again with confirmation to proceed.",
                "请确认：要{reason_zh}（{device}）吗？确认后我再执行。"),
    "denied": ("Sorry, {why}", "抱歉，{why_zh}"),
    "unsupported": ("Sorry, I can only help with your home, your car and your family's devices.",
                    "抱歉，我只能帮您控制和查询家里的设备、车辆和家人状态。"),
    "rule": ("Automations from a sentence are not available yet.", "暂时还不能用一句话创建自动化。"),
    "not_understood": ("Sorry, I didn't understand which device or what to do.",
                       "抱歉，没听懂要操作哪个设备或做什么。"),
    "failed": ("That didn't work: {why}", "执行失败：{why}"),
}


def say(key: str, lang: str, **params: object) -> str:
    """Render a message in the user's language."""
    en, zh = MESSAGES[key]
    template = zh if lang == "zh" else en
    try:
        return template.format(**params).replace(" ;", ";")  # "has no Mop ;" when no setting name is given
    except (KeyError, IndexError):
        return en.format_map(_Default(params))


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def zh_reason(reason: str) -> str:
    """A confirmation reason in Chinese."""
    return {"unlock the door": "解锁门", "open the garage door": "打开车库门", "unlock the car": "解锁车辆",
            "open the trunk": "打开后备箱", "turn on the oven": "打开烤箱"}.get(reason, reason)


def zh_denied(why: str) -> str:
    """A permission refusal in Chinese."""
    for en, zh in (("child", "儿童"), ("guest", "访客")):
        if en in why:
            reason = why.split(" may not ")[-1] if " may not " in why else why
            return f"{zh}不能{zh_reason(reason)}。"
    return why
