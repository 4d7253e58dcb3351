from datetime import UTC, datetime

from bot.slack.blocks.text import escape, plain_from_slack, truncate, words_from_slack


def test_slack_tokens_become_what_the_person_typed() -> None:
    raw = "ping <!channel> and <@U0CARA003|cara> in <#C0123|ml-ops> see <https://x.io/a|dash>"
    assert plain_from_slack(raw) == "ping @channel and @cara in #ml-ops see dash (https://x.io/a)"


def test_escaped_characters_come_back() -> None:
    assert (
        plain_from_slack("accuracy &lt; 0.8 &amp;&amp; p99 &gt; 2s") == "accuracy < 0.8 && p99 > 2s"
    )


def test_literal_angle_text_is_not_a_token() -> None:
    # Typed '<!here>' arrives escaped, so it stays text.
    assert plain_from_slack("&lt;!here&gt; hi") == "<!here> hi"


def test_escape_defuses_pings_links_and_mentions() -> None:
    out = escape("<!channel> <https://evil.example|click> <@U123> a&b")
    assert "<" not in out and ">" not in out
    assert out == "&lt;!channel&gt; &lt;https://evil.example|click&gt; &lt;@U123&gt; a&amp;b"


def test_truncate_never_leaves_half_an_entity() -> None:
    text = escape("x" * 8 + "<!channel>")
    cut = truncate(text, 11)
    assert cut.endswith("…") and "&l" not in cut and len(cut) <= 11


def test_a_slack_message_becomes_plain_words_for_the_timeline() -> None:
    said = ":white_check_mark: *INC-1 resolved:* <@U0BOB0002|bob> rolled _fraud_v2_ back ~now~"
    assert words_from_slack(said) == "INC-1 resolved: @bob rolled fraud_v2 back now"
    # Not emphasis or emoji: snake_case, times, arithmetic.
    assert words_from_slack("a_b_c at 12:30:45, 2*3*4") == "a_b_c at 12:30:45, 2*3*4"


def test_the_timeline_view_mentions_the_people_an_event_is_about() -> None:
    from bot.slack.blocks.timeline_page import event_line
    from bot.store.models import TimelineEvent

    event = TimelineEvent(
        kind="role_handed_over",
        text="@U0CARA003 took over as ML Lead from @U0BOB0002",
        actor="U0BOB0002",
        occurred_at=datetime(2026, 7, 6, 9, 0, tzinfo=UTC),
        data={"role": "ml-lead", "user": "U0CARA003", "previous": "U0BOB0002"},
    )
    line = event_line(event)
    assert "<@U0CARA003> took over as ML Lead from <@U0BOB0002>" in line
    note = TimelineEvent(
        kind="note",
        text="<!channel> see <https://x.example|here>",
        actor="U0BOB0002",
        occurred_at=datetime(2026, 7, 6, 9, 0, tzinfo=UTC),
        data={},
    )
    assert "&lt;!channel&gt; see &lt;https://x.example|here&gt;" in event_line(note)
