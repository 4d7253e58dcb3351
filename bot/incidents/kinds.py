"""What can happen to an incident: every kind of timeline event, and how it reads in a
list or a document. The value is what the database stores."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    label: str

    def __new__(cls, value: str, label: str) -> EventKind:
        kind = str.__new__(cls, value)
        kind._value_ = value
        kind.label = label
        return kind

    DECLARED = "declared", "Declared"
    CHANNEL_CREATED = "channel_created", "Channel opened"
    ANNOUNCED = "announced", "Announced"
    ALERT_FIRED = "alert_fired", "Alert fired"
    ALERT_JOINED = "alert_joined", "Alert joined"
    ALERT_REFIRED = "alert_refired", "Alert fired again"
    ALERT_RESOLVED = "alert_resolved", "Alert resolved"
    ALERTS_ALL_RESOLVED = "alerts_all_resolved", "All alerts resolved"
    ROLE_ASSIGNED = "role_assigned", "Role"
    ROLE_HANDED_OVER = "role_handed_over", "Hand-over"
    SEVERITY_CHANGED = "severity_changed", "Severity"
    TRIAGE_OFFERED = "triage_offered", "Triage"
    TRIAGE_ANSWERED = "triage_answered", "Triage"
    TRIAGE_NOTE = "triage_note", "Triage note"
    TRIAGE_PROPOSED = "triage_proposed", "Triage proposal"
    TRIAGE_PROPOSAL_ACCEPTED = "triage_proposal_accepted", "Proposal accepted"
    TRIAGE_PROPOSAL_DECLINED = "triage_proposal_declined", "Proposal declined"
    RUNBOOK_OFFERED = "runbook_offered", "Runbook"
    RUNBOOK_ITEM_CHECKED = "runbook_item_checked", "Runbook step done"
    RUNBOOK_ITEM_UNCHECKED = "runbook_item_unchecked", "Runbook step undone"
    STATUS_UPDATE = "status_update", "Status update"
    PUBLISHED = "published", "Status page"
    UPDATE_NUDGED = "update_nudged", "Update nudge"
    NOTE = "note", "Note"
    PINNED_MESSAGE = "pinned_message", "Pinned message"
    ACTION_ITEM = "action_item", "Action item"
    ACTION_ITEM_DONE = "action_item_done", "Action item done"
    TICKET_FILED = "ticket_filed", "Ticket"
    TICKET_DECLINED = "ticket_declined", "No ticket"
    TITLE_SHARED = "title_shared", "Title shared"
    DRIFT_FOUND = "drift_found", "Drift"
    FAIRNESS_FOUND = "fairness_found", "Fairness"
    KEY_TIME_CORRECTED = "key_time_corrected", "Key time corrected"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM_PUBLISHED = "postmortem_published", "Post-mortem"
    POSTMORTEM_REMINDED = "postmortem_reminded", "Post-mortem reminder"
    HANDOVER_REQUESTED = "handover_requested", "Hand-over asked"
    HANDOVER_DECLINED = "handover_declined", "Hand-over declined"
    MADE_PRIVATE = "made_private", "Made private"
    MODEL_CARD = "model_card", "Model registry"
    MODEL_ROLLED_BACK = "model_rolled_back", "Rollback"
    MODEL_ROLLBACK_UNDONE = "model_rollback_undone", "Rollback undone"
    CONTAINMENT_RUN = "containment_run", "Containment"
    CONTAINMENT_UNDONE = "containment_undone", "Containment undone"
    DRILL_STARTED = "drill_started", "Drill started"
    DRILL_INJECT = "drill_inject", "Drill inject"
    DRILL_PAUSED = "drill_paused", "Drill paused"
    DRILL_RESUMED = "drill_resumed", "Drill resumed"
    DRILL_ENDED = "drill_ended", "Drill ended"
    DRILL_REPORT = "drill_report", "Drill report"
    PAGED = "paged", "Paged"
    PAGE_ACKNOWLEDGED = "page_acknowledged", "Page acknowledged"
    PAGE_REASSIGNED = "page_reassigned", "Page reassigned"
    PAGE_ESCALATED = "page_escalated", "Escalated"
    PAGE_RESOLVED = "page_resolved", "Page resolved"
    # Serious-incident reporting (INCIDENTBOT_REPORTING)
    ASSESSMENT_OFFERED = "assessment_offered", "Assessment offered"
    SERIOUS_ASSESSED = "serious_assessed", "Serious-incident assessment"
    AWARENESS_CORRECTED = "awareness_corrected", "Awareness corrected"
    AUTHORITY_REPORT_DRAFTED = "authority_report_drafted", "Report to the authority drafted"
    AUTHORITY_REPORT_SENT = "authority_report_sent", "Report to the authority sent"
    REPORTING_REMINDED = "reporting_reminded", "Reporting reminder"
    EVIDENCE_PRESERVED = "evidence_preserved", "Evidence preserved"
    AI_INVESTIGATION = "ai_investigation", "AI investigation"


_BY_VALUE = {kind.value: kind for kind in EventKind}


def label(kind: str) -> str:
    """How ``kind`` reads; a kind this release does not know (from an older or newer one)
    reads as its words."""
    known = _BY_VALUE.get(kind)
    return known.label if known else kind.replace("_", " ").capitalize()
