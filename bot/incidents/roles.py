"""The incident-command roles: the four, and the Legal Liaison while serious-incident
reporting is on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COMMANDER = "commander"
    ML_LEAD = "ml-lead"
    DATA_LEAD = "data-lead"
    COMMS_LEAD = "comms-lead"
    # The fifth role, only while serious-incident reporting is on (INCIDENTBOT_REPORTING).
    LEGAL_LIAISON = "legal"

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
    Role.LEGAL_LIAISON: RoleInfo(
        "Legal Liaison",
        "whether it is a serious incident, the report to the authority and its deadline",
    ),
}


def listed(incident_holder: Callable[[str], str | None], reporting: bool) -> tuple[Role, ...]:
    """The roles an incident shows: the four, and the Legal Liaison while reporting is on
    (or, after it was turned off, while someone still holds it)."""
    return tuple(
        role
        for role in Role
        if role is not Role.LEGAL_LIAISON or reporting or incident_holder(role)
    )


def parse_role(text: str) -> Role | None:
    word = text.strip().lower().replace("_", "-").replace(" ", "-")
    aliases = {
        "ic": Role.COMMANDER,
        "incident-commander": Role.COMMANDER,
        "legal-liaison": Role.LEGAL_LIAISON,
    }
    if word in aliases:
        return aliases[word]
    try:
        return Role(word)
    except ValueError:
        return None
