"""Start the copilot with the hub; the LLM agent joins when HEARTH_LLM_BASE_URL is set."""

from __future__ import annotations

from contextlib import AsyncExitStack

from hearth.copilot._llm_client import LLMConfig
from hearth.copilot._service import CopilotService
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(45)
def start_copilot(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Put a CopilotService in `hub.services["copilot"]`; confirmed rules from sentences go to the automation engine."""
    hub.services["copilot"] = CopilotService(hub.home, hub.bus, hub.state, hub.commands, LLMConfig.from_env(),
                                             engine=hub.services.get("automation"),
                                             data_dir=config.data_dir,
                                             perception=hub.services.get("perception"))
