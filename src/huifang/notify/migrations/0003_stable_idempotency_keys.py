"""Notification keys name the subject's model (``visits.visit``), not its content
type's id, which differs in a restored or freshly migrated database
(``notify.services.idempotency_key``). The keys already stored are rewritten to that
form, so an upgraded database does not send today's reminders a second time.

One UPDATE per (kind, content type) pair in the table (a few dozen at most), done by
the database; the key's tail (subject, recipient, occasion) is kept as it is."""

from typing import Any

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Left, Substr

KEY_LENGTH = 255  # Notification.idempotency_key's max_length, as the service cuts it


def _rewrite(apps: Any, *, to_natural: bool) -> None:
    Notification = apps.get_model("notify", "Notification")
    ContentType = apps.get_model("contenttypes", "ContentType")
    pairs = Notification.objects.values_list("kind", "subject_type_id").distinct().order_by()
    for kind, type_id in pairs:
        content_type = ContentType.objects.get(pk=type_id)
        by_id = f"{kind}:{type_id}:"
        by_name = f"{kind}:{content_type.app_label}.{content_type.model}:"
        old, new = (by_id, by_name) if to_natural else (by_name, by_id)
        Notification.objects.filter(
            kind=kind, subject_type_id=type_id, idempotency_key__startswith=old
        ).update(
            idempotency_key=Left(
                Concat(Value(new), Substr("idempotency_key", len(old) + 1)), KEY_LENGTH
            )
        )


def forwards(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, to_natural=True)


def backwards(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, to_natural=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notify", "0002_historicalwebhookendpoint"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
