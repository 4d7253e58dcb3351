"""The message asking a role's holder (or the Commander) to hand it over."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot.incidents.handover import WAIT
from bot.incidents.roles import Role
from bot.slack.blocks.kit import md, slack_date
from bot.slack.blocks.text import mention, truncate
from bot.store.models import HandoverRequest

AGREE = "handover_agree"
KEEP = "handover_keep"


def request_text(request: HandoverRequest) -> str:
    role = Role(request.role).info.title
    return f"{mention(request.requested_by)} asks for {mention(request.candidate)} to be {role}."


def request_blocks(
    request: HandoverRequest, commander: str | None, candidate_name: str | None = None
) -> list[Block]:
    role = Role(request.role).info.title
    answerers = [mention(request.holder)] if request.holder else []
    if commander and commander != request.holder:
        # an apposition is closed by a comma: "@ana or the Incident Commander, @bob, can agree"
        answerers.append(f"the Incident Commander, {mention(commander)},")
    who = " or ".join(answerers) or "the Incident Commander"
    who = who[0].upper() + who[1:]  # it starts a sentence
    held = f", now held by {mention(request.holder)}" if request.holder else ""
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":raised_hand: {mention(request.requested_by)} asks for "
                f"{mention(request.candidate)} to take {role}{held}. {who} can agree."
            )
        )
    ]
    if request.decision is None:
        minutes = int(WAIT.total_seconds() // 60)
        blocks += [
            ActionsBlock(
                block_id=f"handover:{request.id}",
                elements=[
                    ButtonElement(
                        text=truncate(f"Hand over to @{candidate_name}?", 75)
                        if candidate_name
                        else "Hand over?",
                        action_id=AGREE,
                        value=str(request.id),
                        style="primary",
                    ),
                    ButtonElement(text="Keep as it is", action_id=KEEP, value=str(request.id)),
                ],
            ),
            ContextBlock(
                elements=[
                    md(f"Lapses {slack_date(request.expires_at)} ({minutes} min) if unanswered.")
                ]
            ),
        ]
        return blocks
    when = slack_date(request.decided_at) if request.decided_at else ""
    ended = {
        "handed_over": f":white_check_mark: Handed over by {mention(request.decided_by)} {when}",
        "declined": f"Kept by {mention(request.decided_by)} {when}",
        "lapsed": f"Lapsed unanswered {when}; ask again with `/incident role`",
        "superseded": "No longer applies: the role changed hands meanwhile",
    }.get(request.decision or "", request.decision or "")
    blocks.append(ContextBlock(elements=[md(ended)]))
    return blocks
