"""Give the follow-up actions made after a low survey score before their words had a
message key that key, so they are shown in the reader's language. Their stored words
were the Chinese or English sentence of that key; any other text stays as written."""

from __future__ import annotations

from typing import Any

from django.db import migrations

KEY = "survey_follow_up"
# The words as this release's catalogues had them when the actions were made.
WORDS = ("Contact the customer about their survey answer", "联系客户，跟进其调查答复")


def add_keys(apps: Any, schema_editor: Any) -> None:
    from django.utils import translation

    from huifang.actions.wording import TEXTS

    words = set(WORDS)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            words.add(str(TEXTS[KEY]))
    Action = apps.get_model("actions", "ImprovementAction")
    Action.objects.filter(
        origin="feedback", description_key__isnull=True, description__in=sorted(words)
    ).update(description_key=KEY)


def remove_keys(apps: Any, schema_editor: Any) -> None:
    apps.get_model("actions", "ImprovementAction").objects.filter(description_key=KEY).update(
        description_key=None
    )


class Migration(migrations.Migration):
    dependencies = [("actions", "0005_action_description_key")]

    operations = [migrations.RunPython(add_keys, remove_keys)]
