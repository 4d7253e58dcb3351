"""The four incident-command roles (PRODUCT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COMMANDER = "commander"
    ML_LEAD = "ml-lead"
    DATA_LEAD = "data-lead"
    COMMS_LEAD = "comms-lead"

    @property
    def info(self) -> RoleInfo:
        return ROLES[self]


@dataclass(frozen=True)
class RoleInfo:
    title: str
    owns: str


ROLES: dict[Role, RoleInfo] = {
    Role.COMMANDER: RoleInfo(
        "Incident Commander", "runs the response; owns severity, decisions and hand-overs"
    ),
    Role.ML_LEAD: RoleInfo(
        "ML Lead", "model lineage: which version serves, what changed, rollback readiness"
    ),
    Role.DATA_LEAD: RoleInfo(
        "Data Lead", "data lineage: pipeline runs, schema changes, input distributions"
    ),
    Role.COMMS_LEAD: RoleInfo(
        "Comms Lead", "stakeholder and client updates on the severity's cadence"
    ),
}


def parse_role(text: str) -> Role | None:
    word = text.strip().lower().replace("_", "-").replace(" ", "-")
    aliases = {"ic": Role.COMMANDER, "incident-commander": Role.COMMANDER}
    if word in aliases:
        return aliases[word]
    try:
        return Role(word)
    except ValueError:
        return None
