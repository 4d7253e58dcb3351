"""The timeline writes itself: notes, :pushpin: reactions, the shortcut, action items,
the paged view and the Commander's key-time corrections, through the running bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox import SlackStandIn
from bot.sandbox.reading import readable
from bot.store.models import TimelineEvent
from tests.alerts.helpers import events
from tests.conftest import ALICE, BOB, CARA
from tests.e2e import helpers
from tests.e2e.helpers import (
    declare,
    pick_for_role,
    stored_incidents,
    timeline_kinds,
)
from tests.support import BotProcess


def events_of(database_url: str, kind: str) -> list[TimelineEvent]:
    return events(database_url, kind=kind)


def pinned_later(bot: BotProcess, slack: SlackStandIn, channel: str, words: str) -> None:
    """Pin a new message and wait for it on the timeline: reactions sent before it have
    been handled by then, so a check that one of them changed nothing can follow."""
    ts = slack.say(CARA, channel, words)
    slack.react(bot.url, user=CARA, channel=channel, ts=ts)
    slack.wait_for(
        lambda: any(e.text == words for e in events_of(bot.database_url, "pinned_message")),
        what=f"the later pin {words!r}",
    )


def pins_of(database_url: str, ts: str) -> list[TimelineEvent]:
    return [
        e
        for e in events_of(database_url, "pinned_message")
        if e.occurred_at == datetime.fromtimestamp(float(ts), UTC)
    ]


def test_a_note_goes_on_the_timeline_and_into_the_channel_escaped(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    reply = bot.command(
        "note Rolled back to v41 <!channel> <https://x.test|click>", user=BOB, channel=channel.id
    )
    assert reply.http.status_code == 200
    said = slack.wait_for(
        lambda: [m["text"] for m in channel.public() if "noted:" in m["text"]], what="the note"
    )
    assert said == [":memo: <@U0BOB0002> noted: Rolled back to v41 @channel click (https://x.test)"]
    (note,) = events_of(bot.database_url, "note")
    assert (note.actor, note.text) == (BOB, "Rolled back to v41 @channel click (https://x.test)")

    empty = bot.command("note   ", user=BOB, channel=channel.id)
    assert empty.ack_text.startswith("A note needs text")
    long = bot.command("note " + "x" * 3001, user=BOB, channel=channel.id)
    assert "3001 characters; keep it to 3000" in long.ack_text
    outside = bot.command("note hello", user=BOB, channel=general).wait_reply()
    assert "works inside an incident channel" in outside["text"]  # answered after the others
    assert timeline_kinds(bot.database_url, incident.id).count("note") == 1


def test_pushpin_adds_the_message_once_and_taking_it_away_removes_it(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    slack.channels[channel.id].members.update({BOB, CARA})
    ts = slack.say(BOB, channel.id, "precision is back to 0.91 after the rollback &lt;3")
    answer, event_id = slack.react(bot.url, user=ALICE, channel=channel.id, ts=ts)
    assert answer.status_code == 200
    pinned = slack.wait_for(
        lambda: events_of(bot.database_url, "pinned_message"), what="the pinned message"
    )
    (event,) = pinned
    assert event.actor == BOB and event.text == "precision is back to 0.91 after the rollback <3"
    assert event.occurred_at == datetime.fromtimestamp(float(ts), UTC)
    assert event.data["permalink"].startswith("https://standin.slack.invalid/archives/")
    assert slack.wait_for(lambda: channel.private_to(ALICE), what="a word to the pinner")

    # Slack redelivers the same event (X-Slack-Retry-Num), and a second person pins it too.
    for retry in (1, 2):
        slack.react(
            bot.url, user=ALICE, channel=channel.id, ts=ts, event_id=event_id, retry_num=retry
        )
    slack.react(bot.url, user=CARA, channel=channel.id, ts=ts)
    pinned_later(bot, slack, channel.id, "feature store caught up")
    assert len(pins_of(bot.database_url, ts)) == 1

    slack.react(bot.url, user=ALICE, channel=channel.id, ts=ts, removed=True)
    pinned_later(bot, slack, channel.id, "retraining started")
    assert len(pins_of(bot.database_url, ts)) == 1  # Cara's pin holds it
    slack.react(bot.url, user=CARA, channel=channel.id, ts=ts, removed=True)
    slack.wait_for(lambda: not pins_of(bot.database_url, ts), what="the entry to go")


def test_reactions_elsewhere_and_other_emoji_are_ignored(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    outside = slack.say(ALICE, general, "lunch?")
    inside = slack.say(ALICE, channel.id, "the feature store lagged")
    slack.react(bot.url, user=ALICE, channel=general, ts=outside)
    slack.react(bot.url, user=ALICE, channel=channel.id, ts=inside, name="eyes")
    slack.channels[channel.id].members.add(CARA)
    pinned_later(bot, slack, channel.id, "the pin that counts")
    assert [e.text for e in events_of(bot.database_url, "pinned_message")] == [
        "the pin that counts"
    ]
    assert len(slack.calls_to("conversations.history")) == 1  # for that pin only


def test_the_shortcut_adds_a_message_and_says_so(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    ts = slack.say(ALICE, channel.id, "threshold moved to 0.7 at 14:05")
    answer, key = slack.message_shortcut(
        bot.url, user=ALICE, channel=channel.id, ts=ts, callback_id="add_to_timeline"
    )
    assert answer.status_code == 200
    replies = slack.wait_for(lambda: slack.responses.get(key), what="the shortcut's reply")
    assert replies[0]["text"] == ":pushpin: Added to the incident's timeline."
    (event,) = events_of(bot.database_url, "pinned_message")
    assert event.text == "threshold moved to 0.7 at 14:05" and event.actor == ALICE

    _, again = slack.message_shortcut(
        bot.url, user=BOB, channel=channel.id, ts=ts, callback_id="add_to_timeline"
    )
    assert slack.wait_for(lambda: slack.responses.get(again), what="reply")[0]["text"] == (
        "That message is on the timeline already."
    )
    elsewhere = slack.say(ALICE, general, "not an incident")
    _, refused = slack.message_shortcut(
        bot.url, user=ALICE, channel=general, ts=elsewhere, callback_id="add_to_timeline"
    )
    said = slack.wait_for(lambda: slack.responses.get(refused), what="reply")[0]["text"]
    assert said.startswith("Only messages in an incident channel go on a timeline")
    assert len(events_of(bot.database_url, "pinned_message")) == 1


def test_action_items_are_recorded_listed_and_closed(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    due = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
    bot.command(
        f"action Alert on null rates in payments <@{CARA}|cara> {due}",
        user=ALICE,
        channel=channel.id,
    )
    card = slack.wait_for(
        lambda: [m for m in channel.public() if m["text"].startswith("Action item:")],
        what="the action item card",
    )[0]
    assert f"owner <@{CARA}>" in readable(card["blocks"])
    slack.wait_for(lambda: CARA in channel.members, what="the owner invited")
    slack.wait_for(lambda: "Open action items: 1" in channel.summary(), what="the summary")
    (item,) = events_of(bot.database_url, "action_item")
    assert item.data == {"item": "Alert on null rates in payments", "owner": CARA, "due": due}

    slack.block_action(
        bot.url,
        user=CARA,
        channel=channel.id,
        message_ts=card["ts"],
        action={"action_id": "action_item_done"},
    )
    slack.wait_for(lambda: "Done, marked by" in readable(card["blocks"]), what="the card redrawn")
    slack.wait_for(lambda: "Open action items" not in channel.summary(), what="the summary")
    assert len(events_of(bot.database_url, "action_item_done")) == 1

    past = bot.command("action Fix it 2020-01-01", user=ALICE, channel=channel.id)
    assert "has passed" in past.ack_text
    nonsense = bot.command("action Fix it 2026-02-31", user=ALICE, channel=channel.id)
    assert "`2026-02-31` is not a date" in nonsense.ack_text
    nobody = bot.command("action Fix it @nobody", user=ALICE, channel=channel.id).wait_reply()
    assert nobody["text"] == "No one in this workspace is called @nobody."
    assert len(events_of(bot.database_url, "action_item")) == 1


def test_open_action_items_stay_listed_after_resolution(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    bot.command("action Retrain with March data", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "Open action items: 1" in channel.summary(), what="the summary")
    bot.command("resolve Rolled back", user=ALICE, channel=channel.id)
    slack.wait_for(lambda: "Status: *Resolved*" in channel.summary(), what="resolved")
    assert "Retrain with March data" in channel.summary()
    status = bot.command("status", user=ALICE, channel=channel.id).wait_reply()
    assert "Retrain with March data" in readable(status["blocks"])


def test_timeline_is_paged_and_shows_key_times(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, incident = declare(bot, slack, general)
    for n in range(22):
        bot.command(f"note step {n}", user=ALICE, channel=channel.id)
    slack.wait_for(
        lambda: timeline_kinds(bot.database_url, incident.id).count("note") == 22, what="notes"
    )
    total = len(timeline_kinds(bot.database_url, incident.id))
    first = bot.command("timeline", user=ALICE, channel=channel.id).wait_reply()
    shown = readable(first["blocks"])
    assert first["text"] == f"Timeline of INC-1: {total} events"
    assert "*First signal*" in shown and "Time to acknowledge" in shown
    assert f"Page 1 of 2 · {total} events · next: `/incident timeline 2`" in shown
    assert "Declared" in shown and "step 0" in shown and "step 21" not in shown
    second = bot.command("timeline 2", user=ALICE, channel=channel.id).wait_reply()
    assert "step 21" in readable(second["blocks"]) and "Page 2 of 2" in readable(second["blocks"])
    bad = bot.command("timeline two", user=ALICE, channel=channel.id)
    assert bad.ack_text.startswith("`two` is not a page number")


def _timeline_reply(bot: BotProcess, channel: Any) -> dict[str, Any]:
    return dict(bot.command("timeline", user=ALICE, channel=channel.id).wait_reply())


def test_only_the_commander_corrects_key_times(
    bot: BotProcess, slack: SlackStandIn, general: str
) -> None:
    channel, _incident = declare(bot, slack, general)
    reply = _timeline_reply(bot, channel)

    def open_key_times(user: str) -> str:
        return helpers.open_key_times(slack, bot.url, channel, reply, user)

    # Alice declared: she commands until someone holds the role.
    open_key_times(ALICE)
    slack.wait_for(lambda: list(slack.views), what="the declarer's form")
    slack.views.clear()

    pick_for_role(slack, bot.url, channel, "commander", BOB, by=ALICE)
    slack.wait_for(lambda: "Commander: <@U0BOB0002>" in channel.topic, what="the commander")
    key = open_key_times(ALICE)
    said = slack.wait_for(lambda: slack.responses.get(key), what="the refusal")[0]["text"]
    assert said == (
        "Only the Incident Commander, <@U0BOB0002>, can correct the key times of INC-1."
    )
    assert slack.views == {}

    open_key_times(BOB)
    view_id = slack.wait_for(lambda: list(slack.views), what="the form")[0]
    form = slack.views[view_id]
    pickers = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert set(pickers) == {"detected", "acknowledged", "mitigated", "reason"}  # open: no resolved
    declared_at = stored_incidents(bot.database_url)[0].declared_at
    assert pickers["detected"]["initial_date_time"] == int(declared_at.timestamp())

    # A first signal after the declaration is impossible: refused, nothing recorded.
    later = int((declared_at + timedelta(hours=1)).timestamp())
    slack.submit_view(bot.url, user=BOB, view_id=view_id, values={"detected": later})
    slack.wait_for(
        lambda: [
            m
            for m in channel.private_to(BOB)
            if "Declared cannot come before the first signal." in m["text"]
        ],
        what="the refusal",
    )
    assert events_of(bot.database_url, "key_time_corrected") == []

    earlier = declared_at - timedelta(minutes=45)
    slack.submit_view(
        bot.url,
        user=BOB,
        view_id=view_id,
        values={
            "detected": int(earlier.timestamp()),
            "acknowledged": int(declared_at.timestamp()),  # untouched: not a correction
            "reason": "fraud rate rose at 13:15 in the dashboard <!here>",
        },
    )
    said = slack.wait_for(
        lambda: [m["text"] for m in channel.public() if "corrected First signal" in m["text"]],
        what="the correction",
    )[0]
    assert said.startswith(":stopwatch: <@U0BOB0002> corrected First signal to <!date^")
    assert "&lt;!here&gt;" in said
    (correction,) = events_of(bot.database_url, "key_time_corrected")
    assert correction.data["which"] == "detected" and correction.actor == BOB
    slack.wait_for(lambda: "45 min before it was declared." in channel.summary(), what="summary")
    shown = readable(_timeline_reply(bot, channel)["blocks"])
    assert "corrected by <@U0BOB0002>" in shown and "Time to detect: *45 min*" in shown
