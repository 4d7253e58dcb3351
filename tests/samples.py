"""Sample data shared by tests."""

# A complete triage: inputs changed, the model did not, operations affected.
TRIAGE_ANSWERS = {
    "alert": "yes",
    "serving": "yes",
    "in_range": "no",
    "input_changed": "yes",
    "model_changed": "no",
    "upstream_healthy": "yes",
    "impact": "operations",
    "trend": "stable",
}
