"""Attachments of a visit: photos and signed minutes.

What a file *is* is decided by its first bytes (magic numbers), never by the name or
the Content-Type the browser claims: a renamed executable stays an executable. Only
the types below are kept, up to :data:`MAX_ATTACHMENT_BYTES`, under MEDIA_ROOT with a
random name; the user's file name is kept only as text for the download.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.visits.models import Attachment, RecordStatus, Visit, VisitStatus

if TYPE_CHECKING:
    from huifang.core.models import User

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# content type -> file extension used for the stored name
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def sniff_content_type(head: bytes) -> str | None:
    """The allowed type the leading bytes prove, or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _clean_name(name: str) -> str:
    # Keep only the last path component and drop control characters: the name is
    # echoed in a Content-Disposition header and on pages.
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "attachment"


@transaction.atomic
def add_attachment(*, visit: Visit, uploaded_by: User, upload: UploadedFile) -> Attachment:
    """Keep ``upload`` with the visit after checking its size and real type."""
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(_("A cancelled visit takes no attachments."))
    size = upload.size or 0
    if size == 0:
        raise DomainError(_("The file is empty."))
    if size > MAX_ATTACHMENT_BYTES:
        raise DomainError(
            _("The file is larger than %(limit)d MB.")
            % {"limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise DomainError(_("Only JPEG, PNG, WEBP images and PDF documents can be attached."))
    original_name = _clean_name(upload.name or "")
    attachment = Attachment(
        visit=visit,
        original_name=original_name,
        content_type=content_type,
        size=size,
        uploaded_by=uploaded_by,
    )
    attachment.file.save(f"{uuid.uuid4().hex}{ALLOWED_TYPES[content_type]}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        # The row could not be written: do not leave an orphan file behind.
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment) -> None:
    """Remove an attachment while the visit's record is still a draft; the archive of
    a submitted record keeps its files."""
    record = getattr(attachment.visit, "record", None)
    if record is not None and record.status == RecordStatus.SUBMITTED:
        raise DomainError(_("Attachments of a submitted record are archived and stay."))
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    # The file goes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(name) if name else None)
