"""Pre-flight: a campaign must not read its script with stock text.

The library fills a placeholder nobody gave with a readable default (工号 ``***``, 「前几」,
「我们已经处理完毕」) so that a suggestion never shows braces; spoken to a customer those defaults
are wrong. Before a campaign starts, every placeholder its script (and its voicemail, when
answering machines are detected) speaks must be filled for every contact still to call: from the
campaign (agent code → ``{agent_id}``, agent surname → ``{surname}``, its context), from the
contact's CSV columns, from the case a follow-up contact belongs to (the agent's code and
surname, ``{date}``, ``{issue}``, ``{result}``, ``{case_ref}``: ``scheduler.case_values``), or by the
dialer itself (``{title}`` falls back to 机主 / the owner). Follow-up call-backs (H16/H17) are
checked one contact at a time (``contact_unfilled``): one that would read stock text is not called.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Case
from scheduler import script as scripts
from scheduler.case_values import case_values
from scheduler.models import Campaign, Contact, ContactStatus
from scheduler.script_wording import needed_values

ALWAYS_FILLED = {"title"}  # the dialer's own fallback wording


def campaign_values(campaign: Campaign) -> set[str]:
    """Placeholders the campaign itself fills for every contact."""
    given = {k for k, v in (campaign.context or {}).items() if str(v).strip()}
    if campaign.agent_code:
        given.add("agent_id")
    if campaign.agent_surname:
        given.add("surname")
    return given | ALWAYS_FILLED


def unfilled_values(s: Session, settings: Settings, campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Placeholder → ``{"steps": [...], "contacts": n}`` for each value some contact would hear as
    stock text (``contacts``: how many of those still to call lack it)."""
    steps = scripts.parse_script(campaign.script, campaign.purpose)
    extra = ["voicemail"] if campaign.machine_detection else []
    needed = needed_values(settings, steps, campaign.locale, extra)
    open_names = {name: ids for name, ids in needed.items() if name not in campaign_values(campaign)}
    if not open_names:
        return {}
    rows = s.execute(select(Contact.context, Contact.case_id).where(
        Contact.campaign_id == campaign.id, Contact.status == ContactStatus.PENDING)).all()
    from_cases = _case_names(s, settings, campaign, {case_id for _context, case_id in rows if case_id})
    missing: dict[str, dict[str, Any]] = {}
    for name, ids in open_names.items():
        lacking = sum(1 for context, case_id in rows
                      if not str((context or {}).get(name) or "").strip()
                      and name not in from_cases.get(case_id, set()))
        if lacking or not rows:
            missing[name] = {"steps": ids, "contacts": lacking}
    return missing


def _case_names(s: Session, settings: Settings, campaign: Campaign, case_ids: set[int]) -> dict[int, set[str]]:
    """Each case's placeholders it fills itself (the agent's code, date, issue, result…)."""
    names: dict[int, set[str]] = {}
    for case_id in case_ids:
        case = s.get(Case, case_id)
        if case is not None:
            names[case_id] = set(case_values(s, settings, case, campaign.locale))
    return names


def contact_unfilled(s: Session, settings: Settings, campaign: Campaign, contact: Contact) -> list[str]:
    """The placeholders this one contact's call would read as stock text (follow-up call-backs)."""
    steps = scripts.parse_script(campaign.script, campaign.purpose)
    extra = ["voicemail"] if campaign.machine_detection else []
    needed = needed_values(settings, steps, contact.locale or campaign.locale, extra)
    given = campaign_values(campaign) | {k for k, v in (contact.context or {}).items() if str(v).strip()}
    if contact.case_id is not None:
        given |= _case_names(s, settings, campaign, {contact.case_id}).get(contact.case_id, set())
    return sorted(name for name in needed if name not in given)


def describe(missing: dict[str, dict[str, Any]], total: int) -> str:
    """``script: unfilled values agent_id (outbound_identify, outbound_close), issue (… 2 contacts)``."""
    parts = []
    for name, info in sorted(missing.items()):
        where = ", ".join(info["steps"])
        some = info["contacts"] and info["contacts"] < total
        parts.append(f"{name} ({where}{'; ' + str(info['contacts']) + ' contacts lack it' if some else ''})")
    return ("script: unfilled values " + ", ".join(parts) + " — give them as the campaign's agent code, "
            "agent surname or context, or as CSV columns")
