"""The services fixtures (``tests/services_fixtures.py``)."""

from tests.services_fixtures import (  # noqa: F401  (fixtures)
    _no_calls_inside_transactions,
    services,
    services_env,
)
