from bot.slack.text import escape, plain_from_slack, truncate


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
