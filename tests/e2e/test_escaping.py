"""Whatever a title says, it reaches Slack as text: no pings, links or mentions."""

from __future__ import annotations

from tests.conftest import ALICE
from tests.slack.test_blocks import text_objects
from tests.slack_standin import SlackStandIn
from tests.support import BotProcess


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
    assert "*@channel scorer down &lt;!here&gt; see click (https://evil.example)*" in str(announced)
