"""``/incident stats``: the review's headline figures as a Slack message.

Only numbers and references: no incident titles (private ones stay nameless, and a
shared summary should not repeat what the channels already say). Model and
service names are people's text, escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot.incidents.key_times import spoken
from bot.incidents.severity import Severity
from bot.slack.blocks.kit import md
from bot.slack.blocks.text import escape, truncate
from bot.text.rendering import count

if TYPE_CHECKING:  # pandas loads on first use, not with the app
    from bot.review.figures import Review

SHOWN = 5  # rows of each ranking
MISSED_SHOWN = 15


def text(review: Review) -> str:
    c = review.figures["counts"]
    return f"Incident review {review.period.label}: {count(c['total'], 'incident')}"


def summary(review: Review, *, charts_where: str) -> list[Block]:
    f = review.figures
    c, period, before = f["counts"], review.period.label, review.previous.label
    drills = f"drills included ({f['drills']})" if f["include_drills"] else "drills left out"
    severities = " · ".join(
        f"{r['name'].upper()} {r['count']}" for r in c["severity"] if r["count"] or r["previous"]
    )
    detection = " · ".join(f"{r['name']} {r['count']}" for r in c["detection"])
    out: list[Block] = [
        HeaderBlock(text=truncate(f"Incident review {period}", 150)),
        SectionBlock(
            text=md(
                f"*{count(c['total'], 'incident')}* ({c['previous_total']} in {before}), "
                f"{c['open']} still open · {drills}\n"
                f"{severities or 'No incidents'}\nDetected by: {detection}"
            )
        ),
        SectionBlock(text=md(_times(f["durations"], before, c["total"]))),
        SectionBlock(text=md(_missed(f["missed"]))),
        SectionBlock(text=md(_recurrence(f["recurrence"]))),
        SectionBlock(text=md(_follow_through(f["follow_through"]))),
        SectionBlock(text=md(_communication(f["communication"], before))),
        ContextBlock(
            elements=[
                md(
                    f"{charts_where} The whole review, with every figure: "
                    f"`incidentbot report {review.period.options()} -o review.html`."
                )
            ]
        ),
    ]
    return out


def _median_p90(row: dict[str, Any]) -> str:
    return f"{spoken(row['median'])} / {spoken(row['p90'])}" if row["n"] else "–"


def _times(durations: list[dict[str, Any]], before: str, total: int) -> str:
    lines = ["*Time to acknowledge · to resolve* (median / 90th percentile, from the first signal)"]
    by = {(r["severity"], r["key"]): r for r in durations}
    for severity in (s.value for s in Severity):
        ack, res = by[(severity, "acknowledge")], by[(severity, "resolve")]
        if not (ack["n"] or res["n"]):
            continue
        lines.append(
            f"{severity.upper()}: {_median_p90(ack)} · {_median_p90(res)}"
            f" (resolve in {before}: {_median_p90(res['previous'])})"
        )
    if len(lines) > 1:
        return "\n".join(lines)
    return lines[0] + ("\nNo response times measured yet." if total else "\nNo incidents.")


def _missed(missed: dict[str, Any]) -> str:
    if not missed["total"]:
        return "*Expected response*: every incident met its severity's expected response."
    listed = missed["listed"][:MISSED_SHOWN]
    shown = ", ".join(f"{m['reference']} ({m['severity'].upper()})" for m in listed)
    more = missed["total"] - len(listed)
    return f"*Expected response missed* in {count(missed['total'], 'incident')}: {shown}" + (
        f" and {more} more" if more else ""
    )


def _ranking(rows: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{escape(r['name'])} {r['count']}"
        + (f" ({r['previous']} before)" if "previous" in r else "")
        for r in rows[:SHOWN]
    )


def _recurrence(r: dict[str, Any]) -> str:
    lines = ["*Recurrence*"]
    lines.append(f"Models or services: {_ranking(r['models']) or 'no repeats'}")
    lines.append(f"Categories: {_ranking(r['categories']) or 'no repeats'}")
    causes = _ranking(r["causes"])
    lines.append(f"Where triage put the cause: {causes or 'no triage'}")
    return "\n".join(lines)


def _follow_through(f: dict[str, Any]) -> str:
    a, p = f["actions"], f["postmortems"]
    return (
        f"*Follow-through*\nAction items: {a['opened']} opened, {a['closed']} closed, "
        f"{a['overdue']} overdue\nSEV1/SEV2 post-mortems: {p['on_time']} of {p['owed']} "
        f"within 5 business days, {p['late']} published late, "
        f"{p['missing']} overdue, not published"
    )


def _communication(c: dict[str, Any], before: str) -> str:
    now, then = c["now"], c["previous"]

    def share(m: dict[str, Any]) -> str:
        return f"{round(m['share'] * 100)}%" if m["share"] is not None else "none due"

    first = " · ".join(
        f"{sev.upper()} {_median_p90(s)}" for sev, s in now["first_notice"].items() if s["n"]
    )
    return (
        f"*Communication*\nFirst notice (median / 90th percentile): {first or 'none sent'}\n"
        f"Updates on cadence: {share(now)} ({before}: {share(then)})"
    )
