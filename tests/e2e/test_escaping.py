"""Whatever a title says, it reaches Slack as text: no pings, links or mentions."""

from __future__ import annotations

import pytest

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import message_text, readable, text_objects
from tests.alerts.helpers import ALERT_ENV, post_alert
from tests.conftest import ALICE
from tests.e2e.helpers import stored_incidents
from tests.support import BotProcess


@pytest.fixture
def bot_env() -> dict[str, str]:
    return ALERT_ENV


def test_a_title_with_pings_and_links_is_shown_not_obeyed(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    # As Slack sends it with escaping on: '@channel' typed becomes <!channel>, a link
    # becomes <url|label>, and a literal '<!here>' typed arrives as &lt;!here&gt;.
    text = "declare sev1 <!channel> scorer down &lt;!here&gt; see <https://evil.example|click>"
    bot.command(text, user=ALICE, channel=general).wait_reply()

    sent = [c for c in slack.calls if c["method"] in {"chat.postMessage", "chat.update"}]
    assert len(sent) >= 2
    for call in sent:
        # Slack interprets markup in `text` and in mrkdwn objects; plain_text is shown as is.
        interpreted = [call["args"].get("text") or ""]
        interpreted += [t["text"] for t in text_objects(call["args"].get("blocks"), "mrkdwn")]
        for forbidden in ("<!channel>", "<!here>", "<https://evil"):
            assert all(forbidden not in t for t in interpreted), (forbidden, call["method"])
    channel = next(c for c in slack.channels.values() if c.name.startswith("inc-"))
    assert channel.name.endswith("-channel-scorer-down-here-see-click-https-evil-example")
    assert "<!" not in channel.topic
    # Shown exactly as typed: in the summary's plain-text header, and escaped in mrkdwn.
    summary = next(m for m in channel.messages if m["ts"] == channel.pins[0])["blocks"]
    header = next(b for b in summary if b["type"] == "header")["text"]
    assert header == {
        "type": "plain_text",
        "emoji": False,
        "text": "INC-1: @channel scorer down <!here> see click (https://evil.example)",
    }
    announced = slack.channels[broadcast].messages[0]["blocks"]
    assert "*@channel scorer down &lt;!here&gt; see click (https://evil.example)*" in readable(
        announced
    )


# What an attacker (or a careless alert) writes, as its author typed it. Slack has no
# escape for *bold*: it is shown as its author wrote it, like any message they post.
TYPED = "<!channel> <!here> <@U123> <#C123> <https://x|y> &lt; *bold*"
# The same as a slash command's text arrives from Slack (escaping on): the specials,
# mentions and links as Slack's tokens, a literally typed &lt; as &amp;lt;.
AS_SLACK_SENDS = "<!channel> <!here> <@U123> <#C123> <https://x|y> &amp;lt; *bold*"
LIVE = ("<!channel>", "<!here>", "<@U123>", "<#C123>", "<https://x")


def _interpreted(slack: SlackStandIn) -> list[str]:
    """Every text Slack would read as mrkdwn: messages, edits, ephemerals, replies."""
    texts: list[str] = []
    for call in slack.calls:
        if call["method"] in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            texts.append(call["args"].get("text") or "")
            texts += [str(t["text"]) for t in text_objects(call["args"].get("blocks"), "mrkdwn")]
    with slack._lock:
        for replies in slack.responses.values():
            for reply in replies:
                texts.append(reply.get("text") or "")
                texts += [str(t["text"]) for t in text_objects(reply.get("blocks"), "mrkdwn")]
    return texts


def _nothing_live(texts: list[str], where: str) -> None:
    for text in texts:
        for live in LIVE:
            assert live not in text, (where, live, text)


def test_every_entry_point_shows_pings_mentions_and_links_as_text(
    bot: BotProcess, slack: SlackStandIn, general: str, broadcast: str
) -> None:
    # Command arguments: a declared title, a note, refused role and severity arguments.
    bot.command(f"declare sev2 {AS_SLACK_SENDS}", user=ALICE, channel=general).wait_reply()
    incident = stored_incidents(bot.database_url)[0]
    channel = slack.channels[incident.channel_id]
    bot.command(f"note {AS_SLACK_SENDS}", user=ALICE, channel=channel.id)
    refusals = [
        bot.command(f"role {AS_SLACK_SENDS}", user=ALICE, channel=channel.id).ack_text,
        bot.command(f"severity {AS_SLACK_SENDS}", user=ALICE, channel=channel.id).ack_text,
        # A drift source: literally typed <!channel> in a path, refused with it quoted.
        bot.command(
            "drift &lt;!channel&gt;&lt;https://x|y&gt;.csv b.csv", user=ALICE, channel=channel.id
        ).wait_reply()["text"],
    ]
    assert all(refusals), refusals
    assert "&lt;!channel&gt;&lt;https://x|y&gt;.csv" in refusals[2]
    # A pinned message: stored by Slack with its tokens (its author's own ping went out
    # when they posted it; the timeline must not ping again).
    ts = slack.say(ALICE, channel.id, AS_SLACK_SENDS)
    slack.react(bot.url, user=ALICE, channel=channel.id, ts=ts)
    slack.wait_for(
        lambda: [m for m in channel.messages if m.get("ephemeral_to") == ALICE],
        what="the pin's confirmation",
    )
    shown = bot.command("timeline", user=ALICE, channel=channel.id).wait_reply()
    assert "@channel @here @U123 #C123 y (https://x)" in readable(shown["blocks"])
    # Alert labels, annotations and title, as JSON carries them: literally.
    answer = post_alert(
        bot.url,
        "generic",
        {
            "title": TYPED,
            "dedup_key": "escape-table",
            "severity": "warning",
            "description": TYPED,
            "labels": {"team": TYPED},
            "annotations": {"runbook_note": TYPED},
        },
    )
    assert answer.status_code == 202
    alerted = slack.wait_for(
        lambda: [i for i in stored_incidents(bot.database_url) if i.channel_id and i.id != 1],
        what="the alert's incident",
    )[0]
    details = slack.wait_for(
        lambda: [
            m for m in slack.channels[alerted.channel_id].messages if "team" in message_text(m)
        ],
        what="the alert's details",
    )
    # A literal &lt; from an alert is shown as those four characters; *bold* as written.
    assert any("&amp;lt; *bold*" in message_text(m) for m in details)
    # A form: the declare form's fields arrive as typed.
    result = bot.command("declare", user=ALICE, channel=general)
    opened = slack.wait_for(lambda: slack.calls_to("views.open"), what="views.open")
    slack.submit_view(
        bot.url,
        user=ALICE,
        view_id=opened[-1]["result"]["view"]["id"],
        values={"title": TYPED, "severity": "sev3", "service": TYPED, "description": TYPED},
    )
    assert result.wait_reply()["text"].startswith("Declared INC-3")
    slack.wait_for(
        lambda: len([m for m in slack.channels[broadcast].messages if m.get("blocks")]) >= 3,
        what="three announcements",
    )
    _nothing_live(_interpreted(slack), "Slack")
    _nothing_live(refusals, "acknowledgements")
