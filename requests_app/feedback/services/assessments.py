"""Quality assessments of a department by the departments it serves, and the actions that follow.

A lead starts one: which departments answer (their internal customers), who (chosen people, or all
members of those departments), a closing date, and up to three criteria of their own beside the four
fixed ones. Each respondent gets a tokenized link by email (sent exactly once: the invitation row is
claimed with a conditional UPDATE before sending) and reminders until they answer or it closes
(reminder n is claimed by moving ``reminders_sent`` from n-1 to n, so never twice). Answers are all
criteria at once, once. After results, the lead records actions for weak criteria, each with an owner
and a due date; overdue actions are reminded weekly.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.models import Department, Membership, Profile
from departments.permissions import is_lead, is_member
from requests_app.feedback import enqueue
from requests_app.feedback.models import (
    FIXED_CRITERIA,
    MAX_CUSTOM_CRITERIA,
    Assessment,
    AssessmentAction,
    AssessmentAnswer,
    AssessmentCriterion,
    AssessmentInvitation,
    AssessmentStatus,
)

User = get_user_model()
# Respondents are reminded this long after the invitation or the previous reminder.
REMINDER_INTERVAL = timedelta(days=3)


def _group_of(user: AbstractBaseUser, groups: set[int]) -> int | None:
    """The answering department a respondent speaks for: their home department, or one they serve in."""
    home = Profile.objects.filter(user=user).values_list("department_id", flat=True).first()
    if home in groups:
        return home
    serving = Membership.objects.filter(user=user, department_id__in=groups).values_list("department_id", flat=True)
    return next(iter(serving), None)


def people_of(departments: Iterable[Department]) -> dict[int, int]:
    """{user id: department id} for everyone active who works in (home) or serves in (member) them."""
    ids = [d.pk for d in departments]
    people: dict[int, int] = {}
    for user_id, department_id in Membership.objects.filter(department_id__in=ids, user__is_active=True).values_list(
        "user_id", "department_id"
    ):
        people.setdefault(user_id, department_id)
    for user_id, department_id in Profile.objects.filter(department_id__in=ids, user__is_active=True).values_list(
        "user_id", "department_id"
    ):
        people[user_id] = department_id  # the home department wins
    return people


def assessment_start(
    *,
    department: Department,
    by: AbstractBaseUser,
    title: str,
    closes_at: datetime,
    respondent_departments: Sequence[Department],
    respondents: Sequence[AbstractBaseUser] | None = None,
    custom_criteria: Sequence[str] = (),
    now: datetime | None = None,
) -> Assessment:
    """Start an assessment and invite its respondents (their emails go out after commit)."""
    now = now or timezone.now()
    if not is_lead(by, department.pk):
        raise PermissionDenied(_("Only a lead of the department can start its assessment."))
    title = title.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the assessment a title, e.g. “Spring 2027”.")
    if closes_at <= now:
        errors["closes_at"] = _("The closing date must be in the future.")
    groups = [d for d in respondent_departments if d.pk != department.pk]
    if not groups:
        errors["respondent_departments"] = _("Choose at least one other department to answer.")
    labels = [c.strip() for c in custom_criteria if c and c.strip()]
    if len(labels) > MAX_CUSTOM_CRITERIA:
        errors["custom_criteria"] = ngettext(
            "At most %(count)s criterion of your own.", "At most %(count)s criteria of your own.", MAX_CUSTOM_CRITERIA
        ) % {"count": MAX_CUSTOM_CRITERIA}
    keys = [slugify(label)[:40] or f"custom-{i}" for i, label in enumerate(labels, 1)]
    if len(set(keys) | {k for k, _, _ in FIXED_CRITERIA}) != len(keys) + len(FIXED_CRITERIA):
        errors["custom_criteria"] = _("Each criterion needs its own name, different from the fixed ones.")
    if errors:
        raise ValidationError(errors)
    group_ids = {d.pk for d in groups}
    servers = set(Membership.objects.filter(department=department).values_list("user_id", flat=True))
    if respondents is None:
        invited = {user_id: group for user_id, group in people_of(groups).items() if user_id not in servers}
    else:
        invited = {}
        for person in respondents:
            group = _group_of(person, group_ids)
            if group is None:
                raise ValidationError(
                    {
                        "respondents": _("%(person)s works in none of the answering departments.")
                        % {"person": person.get_username()}
                    }
                )
            if person.pk not in servers:
                invited[person.pk] = group
    if not invited:
        raise ValidationError({"respondents": _("Nobody outside the department would be asked: choose respondents.")})
    with transaction.atomic():
        assessment = Assessment.objects.create(department=department, title=title, started_by=by, closes_at=closes_at)
        assessment.respondent_departments.set(groups)
        criteria = [
            AssessmentCriterion(assessment=assessment, key=key, label=label, description=text, position=i)
            for i, (key, label, text) in enumerate(FIXED_CRITERIA)
        ]
        criteria += [
            AssessmentCriterion(assessment=assessment, key=key, label=label[:80], custom=True, position=10 + i)
            for i, (key, label) in enumerate(zip(keys, labels, strict=True))
        ]
        AssessmentCriterion.objects.bulk_create(criteria)
        invitations = AssessmentInvitation.objects.bulk_create(
            AssessmentInvitation(
                assessment=assessment,
                respondent_id=user_id,
                group_id=group,
                token=secrets.token_urlsafe(32),
                last_reminded_at=now,
            )
            for user_id, group in sorted(invited.items())
        )

        # bulk_create returns primary keys on PostgreSQL and SQLite alike.
        for invitation in invitations:
            enqueue.feedback_mail("invitation", invitation.pk)
    return assessment


@dataclass(frozen=True)
class Score:
    score: int
    comment: str = ""


def assessment_answer(
    *, invitation: AssessmentInvitation, by: AbstractBaseUser, scores: dict[str, Score], now: datetime | None = None
) -> AssessmentInvitation:
    """The respondent's answers to every criterion, once, while the assessment is open."""
    now = now or timezone.now()
    if invitation.respondent_id != by.pk:
        raise PermissionDenied(_("This invitation was sent to someone else."))
    assessment = invitation.assessment
    if not assessment.takes_answers(now):
        raise ValidationError(_("This assessment has closed; thank you all the same."))
    criteria = list(assessment.criteria.all())
    errors = {c.key: _("Give a score from 1 to 5.") for c in criteria if c.key not in scores}
    errors |= {k: _("Scores go from 1 to 5.") for k, s in scores.items() if not 1 <= s.score <= 5}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claimed = AssessmentInvitation.objects.filter(pk=invitation.pk, answered_at=None).update(answered_at=now)
        if claimed != 1:
            raise ValidationError(_("You answered this assessment already; thank you."))
        AssessmentAnswer.objects.bulk_create(
            AssessmentAnswer(
                invitation=invitation,
                criterion=c,
                score=scores[c.key].score,
                comment=scores[c.key].comment.strip()[:2000],
            )
            for c in criteria
        )
    invitation.answered_at = now
    return invitation


def assessment_close(
    *, assessment: Assessment, by: AbstractBaseUser | None = None, now: datetime | None = None
) -> bool:
    """Close for answers (a lead early, or the sweep at the closing date); True if this call closed it."""
    now = now or timezone.now()
    if by is not None and not is_lead(by, assessment.department_id):
        raise PermissionDenied(_("Only a lead of the department can close its assessment."))
    closed = Assessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.OPEN).update(
        status=AssessmentStatus.CLOSED, closed_at=now
    )
    if closed:
        assessment.status, assessment.closed_at = AssessmentStatus.CLOSED, now
    return bool(closed)


def assessment_action_add(
    *,
    assessment: Assessment,
    by: AbstractBaseUser,
    description: str,
    owner: AbstractBaseUser,
    due_on: date,
    criterion: AssessmentCriterion | None = None,
) -> AssessmentAction:
    if not is_lead(by, assessment.department_id):
        raise PermissionDenied(_("Only a lead of the department can record its actions."))
    description = description.strip()
    errors = {}
    if not description:
        errors["description"] = _("Say what will be done.")
    if not is_member(owner, assessment.department_id):
        errors["owner"] = _("The owner must be an agent or lead of the department.")
    if criterion is not None and criterion.assessment_id != assessment.pk:
        errors["criterion"] = _("That criterion belongs to another assessment.")
    if errors:
        raise ValidationError(errors)
    return AssessmentAction.objects.create(
        assessment=assessment, criterion=criterion, description=description, owner=owner, due_on=due_on
    )


def assessment_action_done(*, action: AssessmentAction, by: AbstractBaseUser) -> AssessmentAction:
    if by.pk != action.owner_id and not is_lead(by, action.assessment.department_id):
        raise PermissionDenied(_("Only the owner or a lead can mark this action done."))
    if action.done_at is None:
        action.done_at = timezone.now()
        AssessmentAction.objects.filter(pk=action.pk, done_at=None).update(done_at=action.done_at)
    return action


# --- what the feedback sweep claims --------------------------------------------------------------


def claim_invitation_email(invitation_id: int, now: datetime) -> bool:
    """The invitation email may go out: True once per invitation (whoever asks first)."""
    return (
        AssessmentInvitation.objects.filter(pk=invitation_id, invited_email_at=None).update(invited_email_at=now) == 1
    )


def due_reminders(now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(invitation id, reminder number) of unanswered invitations of open assessments due a reminder."""
    rows = AssessmentInvitation.objects.filter(
        answered_at=None,
        assessment__status=AssessmentStatus.OPEN,
        assessment__closes_at__gt=now,
        last_reminded_at__lte=now - REMINDER_INTERVAL,
    ).values_list("pk", "reminders_sent")[:limit]
    return [(pk, sent + 1) for pk, sent in rows]


def claim_reminder(invitation_id: int, number: int, now: datetime) -> bool:
    """Reminder ``number`` may go out: moves the counter from number-1 to number, so it happens once."""
    return (
        AssessmentInvitation.objects.filter(pk=invitation_id, reminders_sent=number - 1, answered_at=None).update(
            reminders_sent=F("reminders_sent") + 1, last_reminded_at=now
        )
        == 1
    )


def assessments_to_close(now: datetime) -> list[int]:
    return list(
        Assessment.objects.filter(status=AssessmentStatus.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    )


def iso_week(day: date) -> int:
    year, week, _ = day.isocalendar()
    return year * 100 + week


def overdue_actions(today: date, limit: int = 500) -> list[int]:
    """Open actions past their due date not yet reminded this ISO week."""
    return list(
        AssessmentAction.objects.filter(done_at=None, due_on__lt=today)
        .filter(Q(reminded_week__lt=iso_week(today)))
        .values_list("pk", flat=True)[:limit]
    )


def claim_action_reminder(action_id: int, today: date) -> bool:
    week = iso_week(today)
    return (
        AssessmentAction.objects.filter(pk=action_id, done_at=None, reminded_week__lt=week).update(reminded_week=week)
        == 1
    )
