"""The rendering module's promises, one surface at a time."""

from __future__ import annotations

from bot.text import rendering


def test_a_cut_ends_at_a_word_with_an_ellipsis() -> None:
    said = "the incident team is investigating the cause"
    assert rendering.cut(said, 30) == "the incident team is…"
    assert rendering.cut(said, 100) == said
    # One long word cannot end at a word: it is cut where it must be, still marked.
    assert rendering.cut("x" * 50, 10) == "x" * 9 + "…"


def test_a_cut_of_slack_text_never_splits_an_entity() -> None:
    escaped = rendering.for_slack("risk <b> & " + "word " * 20)
    shortened = rendering.cut_for_slack(escaped, 14)
    assert shortened.endswith("…") and len(shortened) <= 14
    assert "&" not in shortened.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")


def test_slack_text_cannot_ping_link_or_mention() -> None:
    assert rendering.for_slack("<!channel> <@U1> <https://x|y> & co") == (
        "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; co"
    )


def test_plain_words_show_emoji_as_characters_and_keep_what_was_typed() -> None:
    assert rendering.plain(":warning: 2*3 is *six* :no_such_code: now") == "⚠️ 2*3 is *six* now"
    # Slack's own markup reads as what Slack shows.
    slack = ":white_check_mark: *Done* by <@U0CARA003|cara> in <#C1|inc-1> &amp; "
    slack += "<https://x|the run>"
    assert rendering.plain(slack, mrkdwn=True) == "✅ Done by @cara in #inc-1 & the run (https://x)"
    assert rendering.plain(slack, mrkdwn=True, drop_emoji=True).startswith("Done by @cara")
    assert rendering.plain("at 12:30:45, a:b:c") == "at 12:30:45, a:b:c"


def test_markdown_shows_typed_markup_as_text_on_one_line() -> None:
    typed = "# [x](https://evil.example) *b* <img src=x>\n- item"
    assert rendering.for_markdown(typed) == (
        "\\# \\[x\\](https\\://evil.example) \\*b\\* &lt;img src=x&gt;. - item"
    )
    assert rendering.markdown_url("javascript:alert(1)") == "#"


def test_github_text_keeps_its_lines_and_makes_no_mention_or_issue_link() -> None:
    shown = rendering.for_github("@team see #12\n*now*")
    assert shown == "\\@\u200bteam see \\#\u200b12\n\\*now\\*"


def test_a_count_agrees_with_its_noun() -> None:
    assert rendering.count(1, "member") == "1 member"
    assert rendering.count(3, "member") == "3 members"
    assert rendering.count(0, "inject") == "0 injects"
    assert rendering.count(2, "person", "people") == "2 people"
    assert rendering.count(12345, "row") == "12,345 rows"


def test_lines_made_one_still_read_as_sentences() -> None:
    update = "Fraud model flags 40% of payments\n*What is affected:* cards\n\nNext update: 10:00"
    assert rendering.one_line(update) == (
        "Fraud model flags 40% of payments. *What is affected:* cards. Next update: 10:00"
    )
    assert rendering.for_markdown("Rolled back;\nwatching") == "Rolled back; watching"


def test_every_emoji_code_the_bot_writes_has_its_character() -> None:
    """Outside Slack (the console, the post-mortem, the sandbox's page) a code without its
    character is dropped: the wiki's :books:, a ticket's :ticket:, the timeline page's
    :no_entry_sign: and the investigator's :grey_question: went without a sign."""
    import re
    from pathlib import Path

    from bot.text.rendering import EMOJI

    root = Path(__file__).resolve().parents[2]
    code = re.compile(r"(?<![\w:/]):([a-z0-9_+-]{2,40}):(?![\w:`])")
    written = {
        found: path.relative_to(root).as_posix()
        for folder in ("bot", "templates")
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".py", ".j2", ".md", ".html", ".toml")
        for found in code.findall(path.read_text(encoding="utf-8"))
    }
    written.pop("memory", None)  # SQLite's ":memory:" database, not an emoji
    assert {c: where for c, where in written.items() if c not in EMOJI} == {}
