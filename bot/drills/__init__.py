"""Tabletop drills: scenarios, the drill clock, the facilitator's controls, the report."""
