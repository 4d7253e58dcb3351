from sqlalchemy.orm import Session

from bot.store.models import Incident


def load(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    assert incident is not None, f"incident {incident_id} is missing"
    return incident
