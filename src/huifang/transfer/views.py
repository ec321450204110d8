"""Import (upload → preview with row-by-row errors → import) and export pages."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from huifang.core import access
from huifang.core.errors import DomainError
from huifang.core.forms import StyledFormMixin
from huifang.transfer import exporters, files, importers

FORMATS = {"xlsx": files.XLSX_TYPE, "csv": files.CSV_TYPE}
SESSION_KEY = "transfer_upload"


# What each export holds, in the reader's language (the keys are URL parts).
EXPORT_LABELS = {
    "projects": gettext_lazy("Projects"),
    "visits": gettext_lazy("Visits"),
    "records": gettext_lazy("Visit records"),
    "actions": gettext_lazy("Actions"),
    "customers": gettext_lazy("Customers"),
}


class UploadForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"), choices=list(importers.KIND_LABELS.items())
    )
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > files.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return bytes(upload.read())


UPLOAD_MAX_AGE_SECONDS = 24 * 3600


def _upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_stale_uploads() -> None:
    """Previewed files nobody imported are removed after a day."""
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for old in _upload_dir().iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _download(content: bytes, kind: str, fmt: str, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    return render(
        request,
        "transfer/index.html",
        {
            "can_import": access.can_import(user),
            "form": UploadForm(),
            "kinds": importers.KIND_LABELS,
            "export_kinds": EXPORT_LABELS,
        },
    )


@login_required
@require_http_methods(["GET"])
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in importers.COLUMNS or fmt not in FORMATS:
        raise Http404
    header = importers.template_columns(kind)
    content = files.write_xlsx(header, []) if fmt == "xlsx" else files.write_csv(header, [])
    return _download(content, kind, fmt, f"huifang-{kind}-template")


@login_required
@require_http_methods(["POST"])
def preview(request: HttpRequest) -> HttpResponse:
    """Check the whole file without writing anything and show every row's errors."""
    user = access.signed_in_user(request)
    access.require(access.can_import(user))
    form = UploadForm(request.POST, request.FILES)
    report = None
    upload_id = ""
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        content = form.cleaned_data["file"]
        try:
            report = importers.run_import(kind=kind, content=content, user=user, dry_run=True)
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if report.ok:
                _forget_stale_uploads()
                upload_id = uuid.uuid4().hex
                (_upload_dir() / f"{user.pk}-{upload_id}").write_bytes(content)
                request.session[SESSION_KEY] = {"id": upload_id, "kind": kind}
    if report is None:
        return render(
            request,
            "transfer/index.html",
            {
                "can_import": True,
                "form": form,
                "kinds": importers.KIND_LABELS,
                "export_kinds": EXPORT_LABELS,
            },
            status=400,
        )
    return render(request, "transfer/preview.html", {"report": report, "upload_id": upload_id})


@login_required
@require_http_methods(["POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed file: all rows or none."""
    user = access.signed_in_user(request)
    access.require(access.can_import(user))
    pending = request.session.get(SESSION_KEY) or {}
    upload_id = request.POST.get("upload_id", "")
    if not upload_id or pending.get("id") != upload_id:
        return redirect("transfer:index")
    path = _upload_dir() / f"{user.pk}-{upload_id}"
    if not path.exists():
        return redirect("transfer:index")
    content = path.read_bytes()
    try:
        report = importers.run_import(
            kind=pending["kind"], content=content, user=user, dry_run=False
        )
    except DomainError as error:
        report = None
        message = error.message
    else:
        message = ""
    if report is not None and report.applied:
        path.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
    return render(
        request,
        "transfer/preview.html",
        {
            "report": report,
            "upload_id": "" if report and report.applied else upload_id,
            "message": message,
        },
    )


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The list page's rows (its filters from the query string, the user's scope)."""
    if kind not in exporters.EXPORTS or fmt not in FORMATS:
        raise Http404
    user = access.signed_in_user(request)
    table = exporters.EXPORTS[kind](user, request.GET)
    write = files.write_xlsx if fmt == "xlsx" else files.write_csv
    stamp = timezone.localdate().isoformat()
    return _download(write(table.header, table.rows), kind, fmt, f"huifang-{kind}-{stamp}")
