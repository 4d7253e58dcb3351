"""The stand-in refuses what Slack refuses; the end-to-end tests depend on it."""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackStandIn
from bot.sandbox.rules import SlackError, check_blocks, check_channel_name

OK_SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url)


def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()  # type: ignore[operator]
    return str(raised.value.response["error"])


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Incident", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc.1", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
    ],
)
def test_channel_names_follow_slacks_rules(name: str, error: str) -> None:
    with pytest.raises(SlackError) as raised:
        check_channel_name(name)
    assert raised.value.error == error


def test_tokens_names_taken_and_membership(slack: SlackStandIn, client: WebClient) -> None:
    stranger = WebClient(token="xoxb-someone-else", base_url=slack.api_url)
    assert error_of(lambda: stranger.auth_test()) == "invalid_auth"
    made = client.conversations_create(name="inc-1")["channel"]["id"]
    assert error_of(lambda: client.conversations_create(name="inc-1")) == "name_taken"
    assert error_of(lambda: client.conversations_invite(channel=made, users="U404")) == (
        "user_not_found"
    )
    outside = slack.add_channel("elsewhere")
    assert error_of(lambda: client.conversations_setTopic(channel=outside, topic="x")) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.conversations_setTopic(channel=made, topic="x" * 251)) == (
        "too_long"
    )


@pytest.mark.parametrize(
    "blocks",
    [
        [OK_SECTION] * 51,
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "not plain"}}],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "b" * 76},
                    }
                ],
            }
        ],
        [
            {"type": "section", "block_id": "x", "text": {"type": "mrkdwn", "text": "a"}},
            {"type": "section", "block_id": "x", "text": {"type": "mrkdwn", "text": "b"}},
        ],
    ],
    ids=["51-blocks", "long-section", "mrkdwn-header", "long-button", "duplicate-block-id"],
)
def test_block_kit_limits(blocks: list[dict[str, object]]) -> None:
    with pytest.raises(SlackError) as raised:
        check_blocks(blocks)
    assert raised.value.error == "invalid_blocks"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_updates_and_pins(slack: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-2")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="first")["ts"]
    assert error_of(lambda: client.chat_update(channel=channel, ts="1.2", text="x")) == (
        "message_not_found"
    )
    client.chat_update(channel=channel, ts=ts, text="second")
    client.pins_add(channel=channel, timestamp=ts)
    assert error_of(lambda: client.pins_add(channel=channel, timestamp=ts)) == "already_pinned"
    assert slack.channels[channel].messages[0]["text"] == "second"
    assert error_of(lambda: client.chat_postMessage(channel=channel, text="")) == "no_text"


def test_triggers_expire_after_three_seconds(slack: SlackStandIn, client: WebClient) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Declare"},
        "blocks": [OK_SECTION],
    }
    assert error_of(lambda: client.views_open(trigger_id="made-up", view=view)) == (
        "invalid_trigger_id"
    )
    trigger = slack._new_trigger()
    slack.triggers[trigger] -= 3.5  # issued 3.5 seconds ago
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=view)) == (
        "expired_trigger_id"
    )
    long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    assert (
        error_of(lambda: client.views_open(trigger_id=slack._new_trigger(), view=long_title))
        == "invalid_arguments"
    )


def test_rate_limits_answer_429_with_an_honest_retry_after() -> None:
    with SlackStandIn(rate_limits={"auth.test": 2}, rate_window=2.0) as slack:
        raw = WebClient(token=slack.token, base_url=slack.api_url)  # no retry handlers
        raw.auth_test()
        raw.auth_test()
        with pytest.raises(SlackApiError) as raised:
            raw.auth_test()
        assert raised.value.response.status_code == 429
        assert raised.value.response.headers["Retry-After"] in {"1", "2"}
        time.sleep(2.1)
        assert raw.auth_test()["ok"]


def test_failures_on_demand_are_recorded(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("auth.test", status=500)
    with pytest.raises(SlackApiError):
        client.auth_test()
    assert client.auth_test()["ok"]
    assert [c["status"] for c in slack.calls_to("auth.test")] == [500, 200]


def test_ephemerals_need_membership_and_user_ids_reach_direct_messages(
    slack: SlackStandIn, client: WebClient
) -> None:
    channel = client.conversations_create(name="inc-3")["channel"]["id"]
    slack.add_user("U0DANA005", "dana")
    assert (
        error_of(lambda: client.chat_postEphemeral(channel=channel, user="U0DANA005", text="hi"))
        == "user_not_in_channel"
    )
    client.chat_postMessage(channel="U0DANA005", text="hello")
    assert [m["text"] for m in slack.direct_messages("U0DANA005")] == ["hello"]


def test_history_replies_and_permalinks(slack: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-3")["channel"]["id"]
    slack.add_user("U0DANA004", "dana")
    slack.channels[channel].members.add("U0DANA004")
    first = slack.say("U0DANA004", channel, "first")
    reply = slack.say("U0DANA004", channel, "in the thread", thread_ts=first)
    last = slack.say("U0DANA004", channel, "last")
    history = client.conversations_history(channel=channel, latest=first, inclusive=True, limit=1)
    assert [m["text"] for m in history["messages"]] == ["first"]
    newest = client.conversations_history(channel=channel, limit=10)["messages"]
    assert [m["ts"] for m in newest] == [last, first]  # newest first; replies stay in threads
    thread = client.conversations_replies(channel=channel, ts=reply)["messages"]
    assert [m["text"] for m in thread] == ["first", "in the thread"]
    link = client.chat_getPermalink(channel=channel, message_ts=last)["permalink"]
    assert link.startswith("https://") and last.replace(".", "") in link
    assert error_of(lambda: client.chat_getPermalink(channel=channel, message_ts="9.9")) == (
        "message_not_found"
    )


def test_the_external_upload_flow(slack: SlackStandIn, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-4")["channel"]["id"]
    done = client.files_upload_v2(
        channel=channel, content="# doc\n", filename="doc.md", title="Doc", initial_comment="hi"
    )
    assert done["file"]["title"] == "Doc" and done["file"]["permalink"].startswith("https://")
    assert slack.channels[channel].files[0]["content"] == b"# doc\n"
    assert slack.channels[channel].messages[-1]["text"] == "hi"
    assert error_of(lambda: client.files_getUploadURLExternal(filename="x.md", length=0)) == (
        "invalid_arguments"
    )
    announced = client.files_getUploadURLExternal(filename="x.md", length=10)
    never_sent = [{"id": announced["file_id"], "title": "x"}]
    assert (
        error_of(lambda: client.files_completeUploadExternal(files=never_sent, channel_id=channel))
        == "file_not_found"
    )
    short = httpx.post(announced["upload_url"], content=b"123")
    assert short.status_code == 400  # not the length announced


def test_private_channels_are_seen_only_by_their_members(
    slack: SlackStandIn, client: WebClient
) -> None:
    made = client.conversations_create(name="inc-private-1", is_private=True)["channel"]
    assert made["is_private"] and made["id"].startswith("G")
    client.conversations_invite(channel=made["id"], users="U0ALICE01")
    assert client.conversations_members(channel=made["id"])["members"] == [
        "U0ALICE01",
        "UBOTINCIDENT",
    ]
    # One the bot is not in does not exist for it: no history, no invites, no posts.
    theirs = slack.add_channel("their-secret", members={"U0BOB0002"})
    slack.channels[theirs].is_private = True
    for call in (
        lambda: client.conversations_history(channel=theirs),
        lambda: client.conversations_invite(channel=theirs, users="U0ALICE01"),
        lambda: client.chat_postMessage(channel=theirs, text="hi"),
        lambda: client.conversations_members(channel=theirs),
        lambda: client.conversations_join(channel=theirs),
    ):
        assert error_of(call) in {"channel_not_found", "method_not_supported_for_channel_type"}
    listed = client.conversations_list(types="private_channel")["channels"]
    assert [c["name"] for c in listed] == ["inc-private-1"]
    # Nobody outside it can type or click there, so the stand-in will not pretend they did.
    with pytest.raises(AssertionError, match="not a member"):
        slack.prepare_command("note hi", user="U0BOB0002", channel=made["id"])


def test_archiving_and_user_groups(slack: SlackStandIn, client: WebClient) -> None:
    made = client.conversations_create(name="inc-2")["channel"]["id"]
    client.conversations_create(name="inc-3")
    assert error_of(lambda: client.conversations_rename(channel=made, name="inc-3")) == (
        "name_taken"
    )
    client.conversations_rename(channel=made, name="inc-2-moved")
    assert slack.channels[made].name == "inc-2-moved"
    client.conversations_archive(channel=made)
    assert error_of(lambda: client.conversations_archive(channel=made)) == "already_archived"
    assert error_of(lambda: client.chat_postMessage(channel=made, text="x")) == "is_archived"
    slack.add_usergroup("S0ONCALL1", {"U0CARA003"})
    assert client.usergroups_users_list(usergroup="S0ONCALL1")["users"] == ["U0CARA003"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0NOPE")) == ("no_such_subteam")
