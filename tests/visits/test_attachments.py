"""Attachments of a visit: type by content, size limit, random stored names, and a
download only for those who may see the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.attachments import MAX_ATTACHMENT_BYTES, add_attachment, sniff_content_type
from huifang.visits.models import Attachment, Visit
from huifang.visits.recording import save_visit_record, submit_visit_record

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _kickoff(project: Project) -> Visit:
    return project.visits.get(phase="kickoff", sequence=1)


def _upload(client: Client, visit: Visit, name: str, content: bytes, **extra: Any) -> Any:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("visits:upload", args=[visit.pk]), {"file": upload}, **extra)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (WEBP, "image/webp"),
        (b"MZ\x90\x00", None),
        (b"<html><script>", None),
        (b"RIFF\x24\x00\x00\x00WAVE", None),
    ],
)
def test_sniff_content_type_trusts_only_magic_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_content_type(head[:16]) == expected


def test_upload_attachment_stores_random_name_under_media_root(
    project: Project, colleague: User, settings: Any
) -> None:
    visit = _kickoff(project)

    response = _upload(_client(colleague), visit, "../../minutes signed.pdf", PDF)

    attachment = Attachment.objects.get()
    stored = Path(attachment.file.path)
    assert response.status_code == 302
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "minutes signed.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored.parent == Path(settings.MEDIA_ROOT) / "visits"
    assert (stored.suffix, len(stored.stem), stored.read_bytes()) == (".pdf", 32, PDF)


def test_upload_attachment_named_like_an_image_but_not_one_is_refused(
    project: Project, colleague: User
) -> None:
    response = _upload(
        _client(colleague),
        _kickoff(project),
        "photo.jpg",
        b"<script>alert(1)</script>",
        follow=True,
    )

    assert Attachment.objects.count() == 0
    assert [str(message) for message in response.context["messages"]] == [
        "Only JPEG, PNG, WEBP images and PDF documents can be attached."
    ]


def test_upload_attachment_over_the_size_limit_is_refused(
    project: Project, colleague: User
) -> None:
    with translation.override("en"), pytest.raises(DomainError) as refused:
        add_attachment(
            visit=_kickoff(project),
            uploaded_by=colleague,
            upload=SimpleUploadedFile("big.png", PNG + b"\x00" * MAX_ATTACHMENT_BYTES),
        )

    assert refused.value.message == "The file is larger than 10 MB."
    assert Attachment.objects.count() == 0


def test_upload_attachment_with_htmx_answers_the_attachment_block(
    project: Project, colleague: User
) -> None:
    visit = _kickoff(project)

    refused = _upload(
        _client(colleague), visit, "x.gif", b"GIF89a" + b"\x00" * 20, HTTP_HX_REQUEST="true"
    )
    accepted = _upload(_client(colleague), visit, "site.png", PNG, HTTP_HX_REQUEST="true")

    assert refused.status_code == 200
    assert refused.templates[0].name == "visits/_attachments.html"
    assert refused.context["attachment_form"].errors == {
        "file": ["Only JPEG, PNG, WEBP images and PDF documents can be attached."]
    }
    assert [a.original_name for a in accepted.context["attachments"]] == ["site.png"]


def test_upload_attachment_outsider_404_and_executive_403(
    project: Project, outsider: User, executive: User
) -> None:
    visit = _kickoff(project)

    assert (
        _upload(_client(outsider), visit, "a.png", PNG).status_code,
        _upload(_client(executive), visit, "a.png", PNG).status_code,
    ) == (404, 403)
    assert Attachment.objects.count() == 0


def test_download_attachment_is_a_nosniff_download(project: Project, colleague: User) -> None:
    visit = _kickoff(project)
    client = _client(colleague)
    _upload(client, visit, "site photo.png", PNG)

    response = client.get(reverse("visits:attachment", args=[Attachment.objects.get().pk]))

    assert response.status_code == 200
    assert (
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Content-Type-Options"],
    ) == ("image/png", 'attachment; filename="site photo.png"', "nosniff")
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]


def test_download_attachment_outsider_gets_404(
    project: Project, colleague: User, outsider: User, executive: User
) -> None:
    _upload(_client(colleague), _kickoff(project), "a.png", PNG)
    url = reverse("visits:attachment", args=[Attachment.objects.get().pk])

    assert (
        _client(outsider).get(url).status_code,
        _client(executive).get(url).status_code,
        Client().get(url).status_code,
    ) == (404, 200, 302)


def test_remove_attachment_of_a_submitted_record_is_refused(
    project: Project, colleague: User
) -> None:
    visit = _kickoff(project)
    client = _client(colleague)
    _upload(client, visit, "a.png", PNG)
    attachment = Attachment.objects.get()
    record = save_visit_record(
        visit=visit,
        recorded_by=colleague,
        fields={},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=colleague)

    client.post(reverse("visits:attachment_delete", args=[attachment.pk]))

    assert Attachment.objects.count() == 1


def test_remove_attachment_of_a_draft_deletes_the_file(
    project: Project, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(colleague)
    _upload(client, _kickoff(project), "a.png", PNG)
    attachment = Attachment.objects.get()
    path = Path(attachment.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("visits:attachment_delete", args=[attachment.pk]))

    assert (Attachment.objects.count(), path.exists()) == (0, False)
