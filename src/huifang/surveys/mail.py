"""The invitation and reminder e-mails, in the contact's language (HTML + text).

Called from ``transaction.on_commit`` by the services: a rolled-back invitation never
reaches a customer's inbox."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from huifang.surveys.models import SurveyInvitation

logger = logging.getLogger(__name__)


def send_survey_email(*, invitation_id: int, url: str, reminder: bool) -> None:
    invitation = (
        SurveyInvitation.objects.select_related("contact", "project__manager", "questionnaire")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.contact.email:
        return
    language = invitation.language
    with translation.override(language):
        context = {
            "invitation": invitation,
            "contact": invitation.contact,
            "project": invitation.project,
            "manager": invitation.project.manager,
            "url": url,
            "reminder": reminder,
            "title": invitation.questionnaire.title(language),
        }
        if reminder:
            subject = _("Reminder: your opinion on project %(project)s") % {
                "project": invitation.project.name
            }
        else:
            subject = _("Your opinion on project %(project)s") % {
                "project": invitation.project.name
            }
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.contact.email],
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError:
        # The link is still shown to staff (copy, QR code) and a resend retries.
        logger.exception("survey e-mail to invitation %s failed", invitation_id)
