from typing import Any

from sqlalchemy.orm import Session

from bot.incidents.permissions import Actor, Policy
from bot.store.models import Incident


def load(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    assert incident is not None, f"incident {incident_id} is missing"
    return incident


RESPONDERS = "S0RESPOND1"


def steering(user: str) -> dict[str, Any]:
    """``who`` and ``policy`` for a domain call made by ``user`` as a member of the
    responders group: someone the policy lets steer any incident."""
    return {"who": Actor(user, responder=True), "policy": Policy(RESPONDERS)}
