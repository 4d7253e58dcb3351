"""/incident postmortem: the document and its chart land in the channel, linked from the
summary and a bookmark, through Slack's external upload flow."""

from __future__ import annotations

from bot.sandbox import SlackStandIn
from tests.conftest import ALICE, BOB
from tests.e2e.helpers import declare, stored_incidents, timeline_kinds
from tests.support import BotProcess


def test_a_resolved_incidents_postmortem_is_uploaded_and_linked(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    bot.command("note Rolled back to v41", user=BOB, channel=channel.id)
    bot.command("action Alert on null rates @bob", user=ALICE, channel=channel.id)
    bot.command("resolve Rolled back to v41", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "Status: *Resolved*" in channel.summary(), what="resolved")

    answer = bot.command("postmortem", user=ALICE, channel=channel.id)
    assert answer.http.status_code == 200
    assert answer.wait_reply()["text"].startswith("Assembling the post-mortem")
    files = slack.wait_for(lambda: list(channel.files), what="the uploaded files")
    document, chart = files
    assert document["name"] == "postmortem-INC-1.md" and document["title"] == "Post-mortem INC-1"
    assert chart["name"] == "postmortem-INC-1-timeline.png"
    assert chart["content"].startswith(b"\x89PNG")
    text = document["content"].decode()
    assert text.startswith("# Post-mortem INC-1: Churn model precision dropped")
    assert "DRAFT" not in text
    assert "Note · @bob: Rolled back to v41" in text  # names, not IDs, outside Slack
    assert "| open | Alert on null rates | @bob | no date |" in text
    assert "Resolution: Rolled back to v41" in text
    calls = [c["method"] for c in slack.calls if c["method"].startswith("files.")]
    assert calls == ["files.getUploadURLExternal"] * 2 + ["files.completeUploadExternal"]

    slack.wait_for(lambda: document["permalink"] in channel.summary(), what="summary link")
    slack.wait_for(lambda: channel.bookmarks, what="the bookmark")
    assert channel.bookmarks == [
        {
            "id": channel.bookmarks[0]["id"],
            "title": "Post-mortem",
            "link": document["permalink"],
            "type": "link",
        }
    ]
    assert timeline_kinds(bot.database_url, incident.id).count("postmortem_published") == 1

    # Publishing again replaces the link, and does not pile up bookmarks.
    bot.command("postmortem", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: len(channel.files) == 4, what="the second upload")
    slack.wait_for(
        lambda: channel.files[2]["permalink"] in channel.summary(), what="the newer link"
    )
    assert len(channel.bookmarks) == 1
    assert stored_incidents(bot.database_url)[0].postmortem_url == channel.files[2]["permalink"]


def test_an_open_incident_gets_a_draft(bot: BotProcess, slack: SlackStandIn, general: str) -> None:
    channel, _ = declare(bot, slack, general)
    bot.command("postmortem", user=ALICE, channel=channel.id)
    files = slack.wait_for(lambda: list(channel.files), what="the uploaded files")
    assert files[0]["name"] == "postmortem-INC-1-draft.md"
    assert files[0]["title"] == "Post-mortem INC-1 (draft)"
    assert "> **DRAFT**" in files[0]["content"].decode()
    slack.wait_for(lambda: "Post-mortem (draft)>" in channel.summary(), what="summary link")
