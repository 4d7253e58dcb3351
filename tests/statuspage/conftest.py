"""The services fixtures (``tests/services_fixtures.py``) and the status page's example
components file."""

from pathlib import Path

from tests.services_fixtures import (  # noqa: F401  (fixtures)
    _no_calls_inside_transactions,
    services,
    services_env,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "templates" / "statuspage.toml"
