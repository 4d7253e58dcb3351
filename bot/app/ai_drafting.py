"""``/incident postmortem --draft``: the post-mortem the bot assembles from the timeline,
with the model's draft where the template asks for prose (summary, the five whys, what
went well and badly), each passage marked as a draft; the facts sections are the bot's,
untouched. Uploaded to the channel as ``postmortem-INC-N-ai-draft.md``.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from bot.ai import agent, drafting, prompts
from bot.ai.client import estimate_tokens
from bot.ai.untrusted import fence
from bot.app import ai_tasks, effects
from bot.app.effect_kinds import Tell, Upload
from bot.documents import postmortem
from bot.slack.blocks.text import refusal
from bot.slack.webapi.replies import Reply
from bot.store.models import Incident

if TYPE_CHECKING:
    from bot.app.services import Services


def start(services: Services, channel: str, actor: str, reply: Reply) -> None:
    started = ai_tasks.start(services, channel, "postmortem", actor, "draft the post-mortem", reply)
    if started is None:
        return
    reply(
        text=":memo: Drafting the post-mortem's prose with the AI investigator; the draft "
        "will be uploaded to this channel, each drafted passage marked."
    )
    ai_tasks.submit(run, services, started, actor)


def run(services: Services, started: ai_tasks.Started, actor: str) -> None:
    ai = started.settings
    sensitive = tuple(services.settings.sensitive_columns)
    try:
        names = ai_tasks.incident_names(services, started.incident_id)
        with services.db.begin() as session:
            incident = session.get(Incident, started.incident_id)
            assert incident is not None
            context = postmortem.assemble(
                session, incident, names, awareness=services.settings.reporting.on
            )
            brief = prompts.brief(incident, names, sensitive)
        try:
            # The Markdown alone: its chart is not needed to draft the prose.
            document = postmortem.render(context, "md", services.settings.templates_dir)
        except postmortem.PostmortemError as problem:
            said = Tell(channel=started.channel, user=actor, text=f"No draft: {refusal(problem)}")
            ai_tasks.release(services, started.task_id, str(problem), owed=said)
            return
        room = max(
            1000, ai.request_tokens - estimate_tokens(prompts.POSTMORTEM) - ai.answer_tokens - 400
        )
        record = document.text[: room * 4]
        messages = [
            {"role": "system", "content": prompts.POSTMORTEM},
            {
                "role": "user",
                "content": f"The incident:\n{brief.text}\n\n"
                + fence(
                    "the post-mortem's facts, with people's and alerts' words", record, sensitive
                ),
            },
        ]
        client = ai_tasks.client_for(ai)
        try:
            outcome = agent.converse(
                client,
                messages,
                None,
                agent.Budget(started.deadline, ai.max_tokens, 0),
                clock=ai_tasks.Clock.now,
                log=ai_tasks.request_log(services, started.task_id),
            )
        finally:
            client.close()
    except Exception:
        failed = ":warning: No AI draft: it failed, and the bot's log has why."
        ai_tasks.release(
            services,
            started.task_id,
            "the draft failed; it is logged",
            Tell(channel=started.channel, user=actor, text=failed),
        )
        raise
    draft = drafting.parse(outcome.answer)
    error = str(outcome.error) if outcome.error else None
    if not error and draft.empty:
        error = (
            "the model's answer had none of the parts asked for (SUMMARY, WHY 1-5, "
            "WENT WELL, WENT BADLY)"
        )
    with services.db.begin() as session:
        ai_tasks.finish(
            session,
            started.task_id,
            status="failed" if error else "done",
            outcome=outcome.answer,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            own_seconds=outcome.own_seconds,
            error=error,
        )
        if error:
            effects.enqueue(
                session,
                started.incident_id,
                Tell(channel=started.channel, user=actor, text=f":warning: No AI draft: {error}"),
            )
        else:
            text = drafting.insert(document.text, draft)
            name = document.filename.rsplit(".", 1)[0].removesuffix("-draft")
            effects.enqueue(
                session,
                started.incident_id,
                Upload(
                    channel=started.channel,
                    content=base64.b64encode(text.encode()).decode("ascii"),
                    filename=f"{name}-ai-draft.md",
                    title=f"Post-mortem {started.reference} (AI draft)",
                    comment=(
                        f":memo: Post-mortem for {started.reference} with prose drafted by "
                        f"{ai.model}, each passage marked as a draft; the facts are the "
                        "timeline's. Check it before keeping it."
                    ),
                ),
            )
    effects.drain(services, started.incident_id)
