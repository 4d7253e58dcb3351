"""Confluence's storage format from our HTML post-mortem: the same template (a team's own
too), rebuilt tag by tag into well-formed XHTML that keeps only structure.

Only the tags a document needs pass, with no attributes but a link's http(s) ``href``
(no ``style``, no ``class``, no scripts, no Confluence macros); every piece of text is
escaped again on the way out, so nothing a person typed can become storage markup. Each
chart, embedded in the HTML as a data URI, becomes a reference to one of the page's
attachments.
"""

from __future__ import annotations

import base64
from html import escape
from html.parser import HTMLParser

PNG_URI = "data:image/png;base64,"
KEPT = frozenset(
    [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "em",
        "strong",
        "b",
        "i",
        "code",
        "pre",
        "blockquote",
        "a",
        "span",
        "div",
        "sub",
        "sup",
    ]
)
VOID = frozenset({"br", "hr"})
SKIPPED = frozenset({"head", "style", "script", "title", "template", "noscript"})
# HTML lets these end where the next begins; XHTML must close them.
ENDS_BEFORE = {
    "li": {"li"},
    "p": {"p"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "tr": {"td", "th", "tr"},
}


class _Rebuilder(HTMLParser):
    def __init__(self, chart: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0
        self.chart = chart
        self.images: list[tuple[str, bytes]] = []  # each embedded PNG, as its attachment

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "img":
            source = dict(attrs).get("src") or ""
            if self.chart and source.startswith(PNG_URI):
                name = self._attach(source)
                if name is not None:
                    self.out.append(
                        f'<ac:image><ri:attachment ri:filename="{escape(name)}" /></ac:image>'
                    )
            return
        if tag not in KEPT:
            return
        if tag in VOID:
            self.out.append(f"<{tag} />")
            return
        while self.open and self.open[-1] in ENDS_BEFORE.get(tag, ()):
            self.out.append(f"</{self.open.pop()}>")
        extra = ""
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("https://", "http://")):
                extra = f' href="{escape(href, quote=True)}"'
        self.out.append(f"<{tag}{extra}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in KEPT and tag not in VOID and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def _attach(self, source: str) -> str | None:
        """The first embedded PNG is ``chart``; others are figure-2.png, figure-3.png…"""
        try:
            data = base64.b64decode(source.removeprefix(PNG_URI), validate=True)
        except ValueError:
            return None
        name = self.chart if not self.images else f"figure-{len(self.images) + 1}.png"
        assert name is not None
        self.images.append((name, data))
        return name

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in KEPT or tag in VOID or tag not in self.open:
            return
        while self.open:  # close what the HTML left open inside it (a <li> without </li>)
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out).strip()


def from_html(html: str, chart: str | None = None) -> str:
    """The page's body in the storage format; ``chart``: the attachment's filename that
    stands in for the embedded chart image."""
    return with_images(html, chart)[0]


def with_images(html: str, chart: str | None = None) -> tuple[str, list[tuple[str, bytes]]]:
    """The body, and each embedded PNG as an attachment (filename, bytes) it refers to:
    the first named ``chart``, the rest figure-2.png, figure-3.png…"""
    rebuilder = _Rebuilder(chart)
    rebuilder.feed(html)
    rebuilder.close()
    return rebuilder.result(), rebuilder.images
