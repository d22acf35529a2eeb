"""Text normalisation: language, full-width forms, Chinese and English numerals, tokens and stems."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Lang = Literal["zh", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL = "零〇一二两俩三四五六七八九十百千万"
_RUN = re.compile(rf"[{_NUMERAL}]+(?:点[{_NUMERAL}]+)?")
# A lone 一/两 before these is "a bit"/"once", not a number ("调高一点", "开一下").
_NOT_NUMBER_AFTER = ("点", "些", "下", "会", "直", "起", "样", "定", "旦", "共", "般", "切", "边", "半")
_NUMBER_BEFORE = ("到", "成", "为", "至", "高", "低", "加", "减")
_NUMBER_AFTER = ("度", "档", "挡", "级", "格", "个", "%", "分", "小时", "公里", "摄氏", "米", "千米", "k", "瓦", "安",
                 "份")

_EN_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9]*(?:\.\d+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[%?,;!]")
_KEEP_S = ("ss", "us", "is", "ys", "as", "os")


def detect_language(text: str) -> Lang:
    """Chinese when CJK characters carry a real share of the sentence, else English."""
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return "en"
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk >= 2 or cjk >= latin_words else "en"


def _chinese_int(text: str) -> int | None:
    if all(ch in _DIGITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    # Spoken shorthand: 四千五 = 4500, 一百五 = 150, 两万五 = 25000.
    if len(text) >= 3 and text[-1] in _DIGITS and text[-2] in _UNITS and text[-2] != "十":
        head = _chinese_int(text[:-1])
        return None if head is None else head + _DIGITS[text[-1]] * _UNITS[text[-2]] // 10
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    return total + section + digit


def chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral like 二十二, 一百五十, 两, 二十二点五; None if it is not one."""
    whole, dot, frac = text.partition("点")
    value = _chinese_int(whole) if whole else 0
    if value is None:
        return None
    if dot:
        digits = "".join(str(_DIGITS[c]) for c in frac if c in _DIGITS)
        return float(f"{value}.{digits}") if digits else float(value)
    return float(value)


def _percent(match: re.Match[str]) -> str:
    raw = match.group(1)
    if raw[0].isdigit():
        return f"{raw}%"
    value = chinese_number(raw)
    return f"{value:g}%" if value is not None else match.group(0)


def _replace_chinese_numerals(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        run = match.group(0)
        after = text[match.end():match.end() + 2]
        before = text[max(0, match.start() - 3):match.start()]
        lone = len(run) == 1 and run in "一两俩" and not after.startswith(_NUMBER_AFTER)
        if lone and (after.startswith(_NOT_NUMBER_AFTER) or not before.endswith(_NUMBER_BEFORE)):
            return run
        weekday = before.endswith(("周", "星期", "礼拜"))  # 周五, 星期三: a day, not a number
        if run in ("万", "千", "百") or (run == "十" and after.startswith("分")) or weekday:
            return run
        value = chinese_number(run)
        if value is None:
            return run
        return str(int(value)) if value.is_integer() else str(value)

    text = re.sub(rf"百分之([{_NUMERAL}]+|\d+(?:\.\d+)?)", _percent, text)
    text = re.sub(r"(?<![\d零〇一二两三四五六七八九十])半(度|档|格)", r"0.5\1", text)
    text = _RUN.sub(repl, text)
    return re.sub(r"(\d+)度半", lambda m: f"{m.group(1)}.5度", text)


def _replace_english_numbers(text: str) -> str:
    words = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _EN_TENS:
            value = _EN_TENS[word]
            if i + 1 < len(words) and words[i + 1] in _EN_ONES and 0 < _EN_ONES[words[i + 1]] < 10:
                value += _EN_ONES[words[i + 1]]
                i += 1
            out.append(str(value))
        elif word in _EN_ONES and word != "one":
            out.append(str(_EN_ONES[word]))
        elif word == "hundred" and out and out[-1].isdigit():
            out[-1] = str(int(out[-1]) * 100)
        elif word == "hundred" and out and out[-1] in ("a", "one"):
            out[-1] = "100"
        else:
            out.append(word)
        i += 1
    return " ".join(out)


def normalize(text: str) -> str:
    """Fold width and case, turn numerals into digits and spell units the same way in both languages."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("'", "").replace("。", " ").replace("、", ",").replace("℃", "度")
    text = re.sub(r"(\d)\s*°\s*c\b", r"\1 celsius", text)
    text = re.sub(r"(\d)\s*°", r"\1度", text)
    text = re.sub(r"(\d)-(\d)", r"\1 \2", text)
    text = re.sub(r"-", " ", text)
    text = _replace_chinese_numerals(text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _replace_english_numbers(text)
    text = re.sub(r"\bhalf an? (degree|level|notch)", r"0.5 \1", text)
    text = _CORRECTED.sub(r"\1", text)
    text = _FAHRENHEIT_ZH.sub(_celsius, _FAHRENHEIT.sub(_celsius, text))
    text = _A_NOT_A.sub(lambda m: (m[1] + m[2] if m[2] else _A_NOT_A_WORDS.get(m[1], m[1])) + "吗", text)
    return re.sub(r"(\d)(percent|pct)\b", r"\1 \2", text)


# "set it to 22, no, 23" / "24度，不对，25度": the number said last is the one meant.
_CORRECTED = re.compile(r"\d+(?:\.\d+)?\s*(?:度|degrees?|%|percent)?\s*,?\s*(?:no|nope|sorry|i mean|actually|"
                        r"make (?:that|it)|wait|不对|不是|不|哦不|我是说|应该是|改成)\s*,?\s*(\d)")
_FAHRENHEIT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:度|degrees?)?\s*(?:f|fahrenheit|华氏度?)\b")
_FAHRENHEIT_ZH = re.compile(r"华氏\s*(\d+(?:\.\d+)?)\s*度?")
# "卧室里潮不潮", "暖不暖和": a yes-no question said as A-not-A asks "A吗" (潮 alone is said 潮湿).
_A_NOT_A = re.compile(r"([潮湿干冷热暖凉亮暗吵闷])不\1([湿燥和快]?)")
_A_NOT_A_WORDS = {"潮": "潮湿", "湿": "潮湿", "干": "干燥"}


def _celsius(match: re.Match[str]) -> str:
    # Thermostats take Celsius in half degrees: 72°F → 22度.
    celsius = round((float(match.group(1)) - 32) * 5 / 9 * 2) / 2
    return f"{celsius:g}度"



def stem(token: str) -> str:
    """A light English singular: lights→light, batteries→battery, alices→alice; other tokens unchanged."""
    if len(token) <= 3 or not token.isascii() or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(_KEEP_S):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Split normalised text into stemmed tokens: ASCII words, numbers, single CJK characters, % and ?."""
    return [stem(t) for t in _TOKEN.findall(text)]


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Tokens of a dictionary phrase (names, aliases, lexicon words), normalised like user text."""
    return tuple(tokenize(normalize(phrase)))


def has_cjk(text: str) -> bool:
    """Whether the text contains a Chinese character."""
    return bool(_CJK.search(text))
