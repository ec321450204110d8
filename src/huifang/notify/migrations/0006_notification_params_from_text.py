"""Give notifications made before they kept parameters their message key's
parameters, read back from their stored Chinese or English text, so they too are
worded in the reader's language. A text that fits no wording keeps being shown as
stored (its ``params`` stay NULL)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 1000


def parse_stored_texts(apps: Any, schema_editor: Any) -> None:
    # The wording module itself: the parse must follow the words the rows were made
    # with, which are the catalogues of this release.
    from huifang.notify.messages import parse_params

    Notification = apps.get_model("notify", "Notification")
    rows = (
        Notification.objects.filter(params__isnull=True)
        .only("pk", "kind", "title", "body")
        .order_by("pk")
    )
    batch: list[Any] = []
    for row in rows.iterator(chunk_size=BATCH):
        params = parse_params(row.kind, row.title, row.body)
        if params is None:
            continue
        row.params = params
        batch.append(row)
        if len(batch) >= BATCH:
            Notification.objects.bulk_update(batch, ["params"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["params"])


def forget_params(apps: Any, schema_editor: Any) -> None:
    apps.get_model("notify", "Notification").objects.update(params=None)


class Migration(migrations.Migration):
    dependencies = [("notify", "0005_notification_params")]

    operations = [migrations.RunPython(parse_stored_texts, forget_params)]
