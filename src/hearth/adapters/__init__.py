"""Adapters: the edges where Hearth talks to devices, cars and phones."""
