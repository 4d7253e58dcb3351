"""Who may do what to an incident: the one place that decides (the table is in
docs/capabilities/permissions.md).

- Anyone in the incident channel: notes, pins, triage answers, action items, drift
  analyses, status updates, and taking a role nobody holds.
- A role someone holds changes hands with that holder's or the Commander's consent.
- The Incident Commander steers: resolve, severity, proposed severities, key times,
  making the incident private, choosing where a private incident's updates go,
  containment. Until someone holds Commander, the declarer is the Commander.
- Publishing on the status page is the Comms Lead's too.
- A rollback (and its undo) is the ML Lead's too; a lever is also for the roles the
  containment file names for it.
- A drill's facilitator (who started it) runs its controls, and may end it.
- Members of the responders user group (``INCIDENTBOT_RESPONDERS``) may do all of it on
  any incident, and, when the group is set, only they decide alert prompts.

Pure: who belongs to the responders group is looked up by the caller (it is a Slack
question) and passed in as ``Actor.responder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.incidents.errors import InvalidInput
from bot.incidents.roles import Role
from bot.store.models import Incident

_Namer = Callable[[str], str]


class Act(StrEnum):
    """What only some people may do; the value completes "Only ... can"."""

    RESOLVE = "resolve {ref}"
    SEVERITY = "change the severity of {ref}"
    PROPOSED_SEVERITY = "accept or decline the severity triage proposes for {ref}"
    KEY_TIMES = "correct the key times of {ref}"
    MAKE_PRIVATE = "make {ref} private"
    AUDIENCE = "choose where {ref}'s status updates go while it is private"
    ROLLBACK = "roll back a model for {ref}"
    UNDO_ROLLBACK = "undo a rollback for {ref}"
    FACILITATE = "run {ref}'s drill controls"
    SHARE_TITLE = "let {ref}'s title show on its tickets and wiki page"
    # Serious-incident reporting: also the Legal Liaison's (ALSO_ROLES).
    ASSESS = "assess whether {ref} is a serious incident"
    AWARENESS = "correct when the provider became aware of {ref}"
    REPORT_SENT = "record that {ref}'s report went to the authority"
    PUBLISH = "publish {ref} on the status page"


# Roles that may do an act besides whoever steers (the Commander and the responders).
ALSO_ROLES: dict[Act, tuple[Role, ...]] = {
    Act.ROLLBACK: (Role.ML_LEAD,),
    Act.UNDO_ROLLBACK: (Role.ML_LEAD,),
    Act.ASSESS: (Role.LEGAL_LIAISON,),
    Act.AWARENESS: (Role.LEGAL_LIAISON,),
    Act.REPORT_SENT: (Role.LEGAL_LIAISON,),
    Act.PUBLISH: (Role.COMMS_LEAD,),
}
# What a drill's facilitator may do in it; the facilitator, not the Commander, runs them.
FACILITATOR_ACTS = frozenset({Act.FACILITATE, Act.RESOLVE})


@dataclass(frozen=True)
class Actor:
    """A person asking, and whether they belong to the responders group.

    ``responder`` is None when the group is set but Slack could not say (the refusal
    then says so rather than pretending the person is not a member)."""

    user: str
    responder: bool | None = False


class NotAllowed(InvalidInput):
    """A refusal that names who can. ``str()`` is plain text; the Slack adapter renders
    the people in it as mentions (``bot.slack.blocks.text.refusal``)."""

    def __init__(
        self,
        doing: str,
        *,
        commander: str | None,
        group: str | None,
        unknown: bool = False,
        also: str | None = None,
        roles: tuple[tuple[str, str | None], ...] = (),
    ) -> None:
        self.doing = doing
        self.commander = commander
        self.group = group
        self.unknown = unknown  # the group's membership could not be read
        self.also = also  # another person who could (a role's holder)
        self.roles = roles  # other roles that may, with their holders: ("ML Lead", "U…")
        super().__init__(self.render(lambda user: f"@{user}", lambda group: f"@{group}"))

    def render(self, person: _Namer, team: _Namer) -> str:
        who = []
        if self.also:
            who.append(f"{person(self.also)} (who holds it)")
        if self.commander:
            who.append(f"the Incident Commander, {person(self.commander)}")
        else:
            who.append("the Incident Commander")
        for title, holder in self.roles:
            who.append(f"the {title}, {person(holder)}" if holder else f"the {title}")
        if self.group:
            who.append(f"a member of {team(self.group)}")
        listed = who[0]
        if len(who) > 1:  # "the Incident Commander, @bob, or a member of @ml-oncall"
            comma = "," if len(who) > 2 or "," in who[-2] else ""
            listed = ", ".join(who[:-1]) + f"{comma} or {who[-1]}"
        if "," in who[-1]:  # close the apposition: "the Incident Commander, @bob, can"
            listed += ","
        text = f"Only {listed} can {self.doing}."
        if not self.commander:
            text += (
                " Nobody holds the Incident Commander role yet: `/incident role commander @you`."
            )
        if self.unknown:
            text += " (Slack did not say who is in that group just now; try again shortly.)"
        return text


def commander(incident: Incident) -> str | None:
    """Who commands: the Commander role's holder, else the person who declared it."""
    return incident.holder(Role.COMMANDER) or incident.declared_by


@dataclass(frozen=True)
class Policy:
    """The rules, with the responders group (``S…``) when one is set."""

    responders: str | None = None

    def steers(self, incident: Incident, actor: Actor) -> bool:
        return actor.user == commander(incident) or bool(self.responders and actor.responder)

    def allows(self, act: Act, incident: Incident, actor: Actor) -> bool:
        """Whether ``actor`` may do ``act`` on ``incident``."""
        if act is Act.FACILITATE:
            return bool(incident.drill) and self._facilitates(incident, actor)
        if act in FACILITATOR_ACTS and incident.drill and self._facilitates(incident, actor):
            return True
        roles = ALSO_ROLES.get(act, ())
        return self.steers(incident, actor) or any(incident.holder(r) == actor.user for r in roles)

    def _facilitates(self, incident: Incident, actor: Actor) -> bool:
        return actor.user == incident.declared_by or bool(self.responders and actor.responder)

    def check(self, act: Act, incident: Incident, actor: Actor) -> None:
        """Raise NotAllowed unless ``actor`` may do ``act`` on ``incident``."""
        if self.allows(act, incident, actor):
            return
        doing = act.value.format(ref=incident.reference)
        if act is Act.FACILITATE:
            raise NotAllowedFacilitator(incident.declared_by, unknown=actor.responder is None)
        self._refuse(doing, incident, actor, ALSO_ROLES.get(act, ()))

    def _refuse(
        self, doing: str, incident: Incident, actor: Actor, roles: tuple[Role, ...]
    ) -> None:
        raise NotAllowed(
            doing,
            commander=commander(incident),
            group=self.responders,
            unknown=actor.responder is None,
            roles=tuple(
                (r.info.title, incident.holder(r)) for r in roles if r is not Role.COMMANDER
            ),
        )

    def holder(self, incident: Incident, role: Role) -> str | None:
        """Whose consent a role needs to change hands: its holder, and for an unheld
        Commander role, the declarer (who commands until someone takes it)."""
        if role is Role.COMMANDER:
            return commander(incident)
        return incident.holder(role)

    def may_give(self, incident: Incident, role: Role, actor: Actor) -> bool:
        """Whether ``actor`` may give ``role`` to someone without asking anyone."""
        holder = self.holder(incident, role)
        return holder is None or actor.user == holder or self.steers(incident, actor)

    def check_consent(
        self, incident: Incident, role: Role, holder: str | None, actor: Actor
    ) -> None:
        """Raise NotAllowed unless ``actor`` may answer a request for ``holder``'s role."""
        if actor.user == holder or self.steers(incident, actor):
            return
        also = holder if holder != commander(incident) else None
        raise NotAllowed(
            f"hand over {role.info.title} on {incident.reference}",
            commander=commander(incident),
            group=self.responders,
            unknown=actor.responder is None,
            also=also,
        )

    def check_lever(
        self, title: str, roles: tuple[Role, ...], incident: Incident, actor: Actor, *, undo: bool
    ) -> None:
        """Raise NotAllowed unless ``actor`` steers or holds one of ``roles``, the roles the
        containment file names for the lever called ``title``."""
        if self.steers(incident, actor) or any(incident.holder(r) == actor.user for r in roles):
            return
        verb = "undo" if undo else "run"
        self._refuse(f"{verb} {title} on {incident.reference}", incident, actor, roles)

    def check_alert_decision(self, actor: Actor) -> None:
        """When the responders group is set, only its members decide alert prompts."""
        if not self.responders or actor.responder:
            return
        raise NotAllowedAlert(self.responders, unknown=actor.responder is None)


class NotAllowedAlert(NotAllowed):
    def __init__(self, group: str, *, unknown: bool) -> None:
        self.doing = "declare or dismiss alerts"
        self.commander = None
        self.group = group
        self.unknown = unknown
        self.also = None
        self.roles = ()
        InvalidInput.__init__(self, self.render(lambda u: f"@{u}", lambda g: f"@{g}"))

    def render(self, person: _Namer, team: _Namer) -> str:
        text = f"Only members of {team(self.group or '')} can {self.doing}."
        if self.unknown:
            text += " (Slack did not say who is in that group just now; try again shortly.)"
        return text


class NotAllowedFacilitator(NotAllowed):
    """Only a drill's facilitator, or a responder, runs its controls."""

    def __init__(self, facilitator: str | None, *, unknown: bool) -> None:
        self.doing = "run the drill's controls"
        self.commander = None
        self.group = None
        self.unknown = unknown
        self.also = facilitator
        self.roles = ()
        InvalidInput.__init__(self, self.render(lambda u: f"@{u}", lambda g: f"@{g}"))

    def render(self, person: _Namer, team: _Namer) -> str:
        who = f"the facilitator, {person(self.also)}," if self.also else "the facilitator"
        text = f"Only {who} or a responder runs the drill's controls."
        if self.unknown:
            text += " (Slack did not say who is in that group just now; try again shortly.)"
        return text


@dataclass(frozen=True)
class Reader:
    """Someone reading incidents outside Slack (the web console): who, whether they belong
    to the responders group, and the private channels they are in (Slack's answer)."""

    user: str
    responder: bool = False
    channels: frozenset[str] = frozenset()


def reads(incident: Incident, reader: Reader) -> bool:
    """Whether ``reader`` may read ``incident``'s title, timeline and documents.

    A public incident (a drill too) is read by anyone in the workspace. A private one only
    by the members of its channel, the people who declared it or hold a role in it, and
    the responders group; everyone else may know that it exists, its severity and its
    status, as its broadcast told them. ``queries.readable`` is this rule as SQL."""
    if not incident.private or reader.responder:
        return True
    return (
        incident.channel_id in reader.channels
        or incident.declared_by == reader.user
        or any(a.user_id == reader.user for a in incident.roles)
    )
