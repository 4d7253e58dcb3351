"""The post-mortem in Confluence's storage format: our HTML rebuilt into XHTML that keeps
structure only, so typed text never becomes a macro, a script or a style."""

from __future__ import annotations

import pytest

from bot.documents.storage import from_html
from tests.pager_standins.base import Refusal
from tests.tracker_standins.confluence import check_storage


def test_typed_markup_stays_text_and_the_result_is_well_formed() -> None:
    html = (
        "<!doctype html><html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<h1>Post-mortem &amp; more</h1>"
        "<p>&lt;ac:structured-macro ac:name=&quot;html&quot;&gt;x&lt;/ac:structured-macro&gt;</p>"
        '<p style="x" onclick="y">a<br>b<img class="chart" src="data:image/png;base64,AAAA"></p>'
        "<ul><li>one<li>two</ul><table><tr><th>a<td>b<tr><td>c</table>"
        '<a href="javascript:alert(1)">bad</a> <a href="https://wiki.example/x?a=1&amp;b=2">ok</a>'
        "<script>alert(1)</script><iframe src=x></iframe></body></html>"
    )
    storage = from_html(html, chart="timeline.png")
    check_storage(storage)  # the stand-in parses it as Confluence would
    assert "<ac:structured-macro" not in storage and "&lt;ac:structured-macro" in storage
    assert "style=" not in storage and "onclick" not in storage and "script" not in storage
    assert "<br />" in storage and "iframe" not in storage
    assert '<ac:image><ri:attachment ri:filename="timeline.png" /></ac:image>' in storage
    assert "<ul><li>one</li><li>two</li></ul>" in storage
    assert "<tr><th>a</th><td>b</td></tr><tr><td>c</td></tr>" in storage
    assert (
        "<a>bad</a>" in storage and '<a href="https://wiki.example/x?a=1&amp;b=2">ok</a>' in storage
    )
    assert "p{color" not in storage and "<title>" not in storage


def test_the_real_postmortem_template_becomes_valid_storage() -> None:

    from bot.documents.templating import render_document

    html = render_document(None, "postmortem.html.j2", _context(), html=True, what="post-mortem")
    storage = from_html(html)
    check_storage(storage)
    assert "<h1>" in storage


def _context() -> dict[str, object]:
    from datetime import UTC, datetime

    from bot.documents.postmortem import build
    from bot.store.models import Incident

    incident = Incident(
        id=3,
        title="Ranker <b>CTR</b> down",
        severity="sev2",
        status="resolved",
        declared_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        private=False,
    )
    return build(incident, [], {}, datetime(2026, 12, 1, 12, tzinfo=UTC))


def test_the_stand_in_would_refuse_what_is_not_xhtml() -> None:
    with pytest.raises(Refusal):
        check_storage("<p>a<br>b</p>")
