"""Loaded by every Python process whose path has this folder first: the bot processes the
end-to-end tests start. With INCIDENTBOT_TEST_GUARD set, it installs the guard against
Slack or HTTP calls inside database transactions (``transaction_guard``)."""

import os

if os.environ.get("INCIDENTBOT_TEST_GUARD"):
    import transaction_guard

    transaction_guard.install()
