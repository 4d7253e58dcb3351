"""What the local Slack keeps for a person to see: replies only they see, the modals they
have open, reactions, what they typed as Slack delivers it, and the workspace on disk."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackStandIn, snapshot
from bot.sandbox.mrkdwn import Names, to_html

ALICE, BOB = "U0ALICE01", "U0BOB0002"
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": []}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_user(ALICE, "alice")
        standin.add_user(BOB, "bob")
        yield standin


def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url)


def test_a_reply_on_a_response_url_is_shown_to_the_person_only(slack: SlackStandIn) -> None:
    channel = slack.add_channel("general", members={ALICE, BOB})
    _, url = slack.new_response_url(ALICE, channel)
    httpx.post(url, json={"text": "only for you"})
    (reply,) = slack.channels[channel].replies
    assert reply["ephemeral_to"] == ALICE and reply["text"] == "only for you"
    assert slack.channels[channel].public() == []  # not a message of the channel

    httpx.post(url, json={"text": "said again", "replace_original": True})
    assert [r["text"] for r in slack.channels[channel].replies] == ["only for you", "said again"]

    _, in_channel = slack.new_response_url(ALICE, channel)
    httpx.post(in_channel, json={"text": "for everyone", "response_type": "in_channel"})
    assert [m["text"] for m in slack.channels[channel].public()] == ["for everyone"]


def test_replacing_and_deleting_the_message_acted_on(slack: SlackStandIn) -> None:
    channel = slack.add_channel("general", members={ALICE})
    _, url = slack.new_response_url(ALICE, channel)
    httpx.post(url, json={"text": "pick one"})
    (first,) = slack.channels[channel].replies
    _, on_it = slack.new_response_url(ALICE, channel, first["ts"])
    httpx.post(on_it, json={"text": "picked", "replace_original": True})
    assert [r["text"] for r in slack.channels[channel].replies] == ["picked"]
    _, again = slack.new_response_url(ALICE, channel, first["ts"])
    httpx.post(again, json={"delete_original": True})
    assert slack.channels[channel].replies == []


def test_a_modal_opens_for_the_person_who_acted_and_stacks_up_to_three(
    slack: SlackStandIn,
) -> None:
    web = client(slack)
    opened = web.views_open(trigger_id=slack._new_trigger(ALICE), view=MODAL)["view"]
    assert [v["id"] for v in slack.open_views(ALICE)] == [opened["id"]]
    assert slack.open_views(BOB) == []
    for _ in range(2):
        web.views_push(trigger_id=slack._new_trigger(ALICE), view=MODAL)
    with pytest.raises(SlackApiError) as refused:
        web.views_push(trigger_id=slack._new_trigger(ALICE), view=MODAL)
    assert refused.value.response["error"] == "push_limit_reached"
    with pytest.raises(SlackApiError) as nothing_open:
        web.views_push(trigger_id=slack._new_trigger(BOB), view=MODAL)
    assert nothing_open.value.response["error"] == "not_found"
    slack.close_view(ALICE, opened["id"])
    assert slack.open_views(ALICE) == []


def test_what_a_person_types_arrives_as_slack_delivers_it(slack: SlackStandIn) -> None:
    channel = slack.add_channel("ml-platform")
    typed = slack.typed("ask @bob & @nobody in #ml-platform about <script> #nowhere")
    assert typed == (
        f"ask <@{BOB}|bob> &amp; @nobody in <#{channel}|ml-platform> about &lt;script&gt; #nowhere"
    )


def test_a_reaction_is_counted_on_the_message(slack: SlackStandIn) -> None:
    channel = slack.add_channel("general", members={ALICE, BOB})
    ts = slack.say(ALICE, channel, "the index is rebuilt")
    sent = []

    def deliver(*args: object, **kwargs: object) -> httpx.Response:
        sent.append(kwargs)
        return httpx.Response(200)

    slack.event = deliver  # type: ignore[method-assign]  # no bot behind this one
    slack.react("http://127.0.0.1:9", user=BOB, channel=channel, ts=ts)
    slack.react("http://127.0.0.1:9", user=ALICE, channel=channel, ts=ts)
    (message,) = slack.channels[channel].messages
    assert message["reactions"] == [{"name": "pushpin", "users": [BOB, ALICE], "count": 2}]
    slack.react("http://127.0.0.1:9", user=BOB, channel=channel, ts=ts, removed=True)
    assert message["reactions"][0]["count"] == 1


def test_the_workspace_is_put_back_as_it_was_saved(slack: SlackStandIn, tmp_path: Path) -> None:
    channel = slack.add_channel("general", members={ALICE})
    slack.say(ALICE, channel, "before the restart")
    path = tmp_path / "sandbox.slack.json"
    snapshot.save(slack, path)
    with SlackStandIn() as again:
        assert snapshot.load(again, path)
        assert again.channels[channel].messages[0]["text"] == "before the restart"
        assert again.add_channel("later") not in slack.channels  # never an old ID
    path.write_text(json.dumps({"format": 99}))
    with SlackStandIn() as other, pytest.raises(ValueError, match="another version"):
        snapshot.load(other, path)


@pytest.mark.parametrize(
    ("mrkdwn", "reads"),
    [
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("<!channel> and &lt;!channel&gt;", "@channel and <!channel>"),
        ("<https://ex.com|the dashboard>", "the dashboard"),
        ("<javascript:alert(1)|click>", "click"),
        ("*bold* _it_ ~gone~ `code`", "bold it gone code"),
        ("<@U0ALICE01> on <#C1>", "@alice on #general"),
        ("a raw <sev> placeholder", "a raw sev placeholder"),
    ],
)
def test_mrkdwn_is_drawn_as_slack_draws_it_and_never_as_markup(mrkdwn: str, reads: str) -> None:
    names = Names({"U0ALICE01": "alice"}, {"C1": "general"})
    drawn = str(to_html(mrkdwn, names))
    assert "<script" not in drawn and "javascript:" not in drawn
    assert html.unescape(re.sub(r"<[^>]+>", "", drawn)) == reads
