"""The bilingual copilot: words to validated commands, questions and rules; offline first, any LLM optional."""

from hearth.copilot._copilot import AskResult, Copilot, command_json
from hearth.copilot._text import detect_language, normalize

__all__ = ["AskResult", "Copilot", "command_json", "detect_language", "normalize"]
