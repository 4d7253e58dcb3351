"""Block Kit for the status page: the public resolution offered when an incident is
resolved, for the Comms Lead to confirm."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from bot.slack.blocks.kit import md, render
from bot.text.rendering import for_slack

PUBLISH_RESOLUTION = "status_page_resolution"


def resolution_offer(
    incident_id: int, title: str, draft: str, addressed: str | None
) -> list[dict[str, Any]]:
    who = f"{addressed}, as " if addressed else "As "
    return render(
        [
            SectionBlock(
                text=md(
                    f":globe_with_meridians: {who}Comms Lead: the status page still shows "
                    f"*{for_slack(title)}* as unresolved. Publish this resolution? It sets "
                    "its components operational.\n>" + for_slack(draft).replace("\n", "\n>")
                )
            ),
            ActionsBlock(
                block_id=f"status_page_resolution:{incident_id}",
                elements=[
                    ButtonElement(
                        text="Publish the resolution",
                        action_id=PUBLISH_RESOLUTION,
                        value=json.dumps({"incident": incident_id}),
                        style="primary",
                    )
                ],
            ),
        ]
    )
