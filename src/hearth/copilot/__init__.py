"""The bilingual copilot: words to validated commands, questions and rules; offline first, any LLM optional."""
