"""A team's broken post-mortem template: the Commander hears why, and nothing is uploaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE
from tests.e2e.helpers import declare, timeline_kinds
from tests.support import BotProcess


@pytest.fixture
def bot_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "postmortem.md.j2").write_text("{{ incident.reference }}\n{% endif %}\n")
    return {"INCIDENTBOT_TEMPLATES_DIR": str(tmp_path)}


def test_a_broken_custom_template_is_reported_and_nothing_is_uploaded(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    bot.command("postmortem", user=ALICE, channel=channel.id)
    said = slack.wait_for(
        lambda: [m["text"] for m in channel.private_to(ALICE) if "No post-mortem" in m["text"]],
        what="the reason",
    )[0]
    assert "postmortem.md.j2 is broken at line 2" in said
    assert "Encountered unknown tag 'endif'" in said
    assert channel.files == [] and slack.calls_to("files.getUploadURLExternal") == []
    assert "postmortem_published" not in timeline_kinds(bot.database_url, incident.id)
