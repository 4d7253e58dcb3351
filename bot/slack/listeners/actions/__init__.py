"""Clicks on buttons and selects, by the surface they sit on."""
