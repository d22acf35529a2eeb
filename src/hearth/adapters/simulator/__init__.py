"""The digital twin: a simulated household behind the same adapter interface as real devices."""

from hearth.adapters.simulator._physics import Route, distance_m
from hearth.adapters.simulator._twin import Twin

__all__ = ["Route", "Twin", "distance_m"]
