"""``makemessages`` that understands the Jinja2 templates.

Django's command reads templates as Django template language, which would miss
``{{ _("Hello %(name)s", name=user) }}``. For files under a ``jinja2/`` folder this one
lists the messages with Jinja2's own parser and hands xgettext one Python call per
message, on the message's line, so the catalogue's references stay right."""

from __future__ import annotations

import io
from typing import Any

import jinja2
from django.core.management.commands import makemessages
from jinja2.ext import babel_extract

from huifang.core.templating import environment

# The functions the templates translate with, and how many of their first arguments
# are the message (context, singular, plural); a count follows for the plural forms.
_STRINGS = {"_": 1, "gettext": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}
_PLURAL = {"ngettext", "npgettext"}


def python_calls(source: str) -> str:
    """The template's messages as Python calls, one line of output per line of input."""
    lines = [""] * (source.count("\n") + 1)
    env: jinja2.Environment = environment(loader=jinja2.BaseLoader())
    found = babel_extract(
        io.BytesIO(source.encode("utf-8")),
        tuple(_STRINGS),
        [],
        {"extensions": ",".join(env.extensions), "trimmed": "false"},
    )
    for lineno, function, message, _comments in found:
        parts = (message if isinstance(message, tuple) else (message,))[: _STRINGS[function]]
        strings = [part for part in parts if isinstance(part, str)]
        if len(strings) < len(parts):
            continue  # a message from a variable: nothing to extract
        arguments = [_literal(part) for part in strings]
        if function in _PLURAL:
            arguments.append("n")
        call = "{}({})".format("gettext" if function == "_" else function, ", ".join(arguments))
        lines[lineno - 1] += call + "; "
    return "\n".join(lines)


def _literal(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class BuildFile(makemessages.BuildFile):
    def preprocess(self) -> None:
        if "/jinja2/" not in self.path.replace("\\", "/"):
            super().preprocess()
            return
        with open(self.path, encoding="utf-8") as source:
            content = python_calls(source.read())
        with open(self.work_path, "w", encoding="utf-8") as work:
            work.write(content)


class Command(makemessages.Command):
    build_file_class = BuildFile

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
