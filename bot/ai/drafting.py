"""The post-mortem's prose drafted by the model: the summary, the five whys, what went
well and badly. The facts sections (key times, timeline, lineage, action items...) are
the bot's and are left as they are; each drafted passage is marked as a draft.

The model reads the document the bot assembled (fenced as untrusted: it holds people's
and alerts' words) and answers in headed parts (``SUMMARY:``, ``WHY 1:``..``WHY 5:``,
``WENT WELL:``, ``WENT BADLY:``); :func:`insert` puts each where the template asks for
prose (its ``_[Write...]_`` prompts), or at the end of its section when the team's own
template has no prompt there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.rendering import for_markdown

_WRITE = re.compile(r"_\[Write[^\]]*\]_")
_PART = re.compile(r"^\s*(SUMMARY|WHY\s*[1-5]|WENT WELL|WENT BADLY)\s*:\s*(.*)$", re.IGNORECASE)
MARK = "*(AI draft: check it before keeping it)*"


@dataclass
class Draft:
    summary: str = ""
    whys: list[str] = field(default_factory=list)
    went_well: list[str] = field(default_factory=list)
    went_badly: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.summary or self.whys or self.went_well or self.went_badly)


def parse(answer: str) -> Draft:
    draft = Draft()
    current = ""
    whys: dict[int, str] = {}
    for line in answer.splitlines():
        match = _PART.match(line)
        if match:
            current = re.sub(r"\s+", " ", match.group(1).upper())
            rest = match.group(2).strip()
        else:
            rest = line.strip()
        if not rest:
            continue
        if current == "SUMMARY":
            draft.summary = f"{draft.summary} {rest}".strip()
        elif current.startswith("WHY"):
            number = int(current[-1])
            whys[number] = f"{whys.get(number, '')} {rest}".strip()
        elif current in ("WENT WELL", "WENT BADLY"):
            item = rest.lstrip("-*• ").strip()
            if item:
                (draft.went_well if current == "WENT WELL" else draft.went_badly).append(item)
    draft.whys = [whys[n] for n in sorted(whys)][:5]
    draft.summary = draft.summary[:1500]
    draft.went_well, draft.went_badly = draft.went_well[:8], draft.went_badly[:8]
    return draft


def _md(text: str) -> str:
    return for_markdown(text)


def insert(document: str, draft: Draft) -> str:
    """The document with the draft where its prose goes; every other line unchanged."""
    sections: list[list[str]] = [[]]
    for line in document.splitlines():
        if line.startswith("## "):
            sections.append([])
        sections[-1].append(line)
    placed: set[str] = set()
    for lines in sections:
        title = lines[0][3:].strip().lower() if lines and lines[0].startswith("## ") else ""
        if title == "summary" and draft.summary:
            _fill(lines, [f"{MARK} {_md(draft.summary)}"])
            placed.add("summary")
        elif title == "root cause" and draft.whys:
            _fill_each(lines, [_md(w) for w in draft.whys], f"{MARK} Five whys:")
            placed.add("whys")
        elif title == "what went well" and draft.went_well:
            _fill(lines, [f"- {_md(w)} {MARK}" for w in draft.went_well], bullet=True)
            placed.add("well")
        elif title == "what went badly" and draft.went_badly:
            _fill(lines, [f"- {_md(b)} {MARK}" for b in draft.went_badly], bullet=True)
            placed.add("badly")
    text = "\n".join("\n".join(lines) for lines in sections if lines)
    rest = []
    if draft.summary and "summary" not in placed:
        rest.append(f"Summary: {_md(draft.summary)}")
    if draft.whys and "whys" not in placed:
        rest += [f"{i}. {_md(w)}" for i, w in enumerate(draft.whys, 1)]
    if rest:
        text += f"\n\n## AI draft\n\n{MARK}\n\n" + "\n".join(rest)
    return text.rstrip() + "\n"


def _fill(lines: list[str], new: list[str], *, bullet: bool = False) -> None:
    for i, line in enumerate(lines):
        if _WRITE.search(line):
            if bullet and line.strip().startswith("-"):
                lines[i : i + 1] = new
            else:
                lines[i] = _WRITE.sub(lambda _: "\n".join(new), line, count=1)
            return
    lines.extend(["", *new])


def _fill_each(lines: list[str], whys: list[str], lead: str) -> None:
    """The numbered whys' ``_[Write]_`` prompts, in order; the rest appended."""
    left = list(whys)
    for i, line in enumerate(lines):
        if left and _WRITE.search(line) and re.match(r"^\s*\d+\.", line):
            lines[i] = _WRITE.sub(lambda _: f"{left.pop(0)} *(AI draft)*", line, count=1)
    if len(left) == len(whys):
        lines.extend(["", lead, *[f"{n}. {w}" for n, w in enumerate(left, 1)]])
    elif left:
        lines.extend([f"- {w} *(AI draft)*" for w in left])
