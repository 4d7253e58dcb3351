"""What people and alerts wrote reads as they wrote it on every surface the bot writes to.

One incident is told with hostile and long words (Slack's specials, mentions, links,
emphasis, emoji codes, HTML, Markdown, entities), then every surface is read as a
person would read it: Slack's messages as Slack draws them (the sandbox's renderer),
the post-mortem's Markdown as a CommonMark viewer shows it (GitHub, the console), its
HTML as a browser shows it, the console's timeline words, a GitHub issue's body and a
Jira issue's document. Once what was typed is taken out, nothing is left of ``*``,
``_``, ``:codes:``, ``<@U…>``, ``<!channel>`` or an entity such as ``&lt;``: markup
the bot added by mistake.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from bot.app import updates
from bot.app.open_incident import declare_and_open
from bot.app.services import Services
from bot.console.story import words as console_words
from bot.documents.postmortem import produce
from bot.incidents import notes
from bot.incidents.declare import Declaration
from bot.incidents.severity import Severity
from bot.sandbox import SlackStandIn
from bot.sandbox.mrkdwn import to_html
from bot.sandbox.reading import text_objects
from bot.store.models import Incident, TimelineEvent
from bot.tracking.github import markdown as github_markdown
from bot.tracking.jira import adf
from bot.tracking.tracker import Brief, Span
from tests.conftest import ALICE

TITLE = "Scorer <!channel> & <b>x</b> *bold* _it_ [y](https://evil.example) &lt; #1"
NOTE = "Checked <@U0EVIL01> :fire: 2*3 a_b_c " + "long words " * 40
UPDATE = ":red_circle: *The scorer is down.* _Customers see declines._ " + "More soon. " * 30
# Slack has no escape for emphasis: *bold* typed is drawn bold there, as in any message.
AS_SLACK_DRAWS = TITLE.replace("*bold*", "bold").replace("_it_", "it")
# Outside Slack an emoji code shows as its character (the sandbox draws Slack's so too).
NOTE_SHOWN = NOTE.strip().replace(":fire:", "🔥")
TYPED = (TITLE, NOTE_SHOWN, AS_SLACK_DRAWS)
LEAKS = re.compile(r"\*|(?<![\w])_|_(?![\w])|:[a-z_]+:|<@U|<!channel|&[a-z]+;|&#\d+;")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_read(page: str) -> str:
    reader = _Text()
    reader.feed(page)
    return " ".join(" ".join(reader.parts).split())


def markdown_read(document: str) -> str:
    return html_read(MarkdownIt("commonmark").enable("table").render(document))


def adf_read(node: Any) -> str:
    if isinstance(node, dict):
        inner = " ".join(adf_read(child) for child in node.get("content", []))
        return (node.get("text") or "") + " " + inner
    return ""


def leftover(read: str) -> str:
    """What a reader sees once every typed text (whole, or cut at a word) is taken out."""
    left = " ".join(read.split())
    for typed in TYPED:
        whole = " ".join(typed.split())
        left = left.replace(whole, " ")
        words = whole.split(" ")
        for n in range(len(words) - 1, 3, -1):  # a cut keeps at least the first words
            left = left.replace(" ".join(words[:n]) + "…", " ")
    return left


@pytest.fixture
def told(services: Services, slack: SlackStandIn) -> tuple[int, str]:
    incident_id = declare_and_open(
        services, Declaration(TITLE, Severity.SEV1, ALICE), lambda **_: None
    )
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.channel_id
        notes.add_note(session, incident, NOTE, by=ALICE)
        channel = incident.channel_id
    updates.send(services, channel, UPDATE, ALICE, lambda **_: None)
    return incident_id, channel


def test_every_surface_reads_as_typed_with_no_markup_the_bot_added(
    services: Services, slack: SlackStandIn, told: tuple[int, str]
) -> None:
    incident_id, channel = told
    names = {ALICE: "alice"}
    with services.db.begin() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        markdown_doc = produce(session, incident, "md", None, names)[0].text
        html_doc = produce(session, incident, "html", None, names)[0].text
        events = list(session.query(TimelineEvent).filter(TimelineEvent.incident_id == incident_id))
        timeline_words = [console_words({"event": e}, names) for e in events]
        brief = Brief(((Span(incident.title),), (Span(NOTE),)))

    slack_messages = [
        html_read(to_html(t["text"], plain=t["type"] == "plain_text"))
        for m in slack.channels[channel].messages
        if UPDATE[:30] not in (m.get("text") or "")  # the update itself is Slack markup, as sent
        for t in [{"type": "mrkdwn", "text": m.get("text") or ""}, *text_objects(m.get("blocks"))]
    ]
    surfaces = {
        "post-mortem Markdown": markdown_read(markdown_doc),
        "post-mortem HTML": html_read(html_doc.split("<body", 1)[-1]),
        "console timeline": " ".join(timeline_words),
        "GitHub issue": markdown_read(github_markdown(brief).replace("\u200b", "")),
        "Jira issue": adf_read(adf(brief)),
        "Slack": " ".join(slack_messages),
    }
    for surface, read in surfaces.items():
        title = AS_SLACK_DRAWS if surface == "Slack" else TITLE
        assert " ".join(title.split()) in " ".join(read.split()), surface
        left = leftover(read)
        assert not LEAKS.findall(left), (surface, LEAKS.findall(left), left[:400])
    # The status update's own words arrive without its markup outside Slack.
    for surface in ("post-mortem Markdown", "post-mortem HTML", "console timeline"):
        assert "The scorer is down. Customers see declines." in surfaces[surface], surface
