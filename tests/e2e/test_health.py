import httpx

from tests.conftest import ALICE
from tests.support import BotProcess


def test_healthz_and_metrics(bot: BotProcess, general: str) -> None:
    health = httpx.get(bot.url + "/healthz")
    assert health.status_code == 200 and health.json() == {"ok": True, "database": "up"}
    bot.command("declare sev4 Confidence trending down", user=ALICE, channel=general).wait_reply()
    text = httpx.get(bot.url + "/metrics").text
    assert "incidentbot_incidents_open 1.0" in text
    assert 'incidentbot_http_requests_total{route="/slack/events",status="200"} 1.0' in text
    assert "incidentbot_database_up 1.0" in text
