"""The form renderer: Django's, with the commonest widgets written out in Python.

Django renders every widget through templates, and a ``<select>`` through one more
template per ``<option>``: a filter form with a 200-person owner list spent more time
there than in all its queries. The widgets below produce the same markup as Django's
own templates (``django/forms/widgets/{input,select,select_option,textarea,attrs}``,
checked by ``tests/core/test_form_renderer.py``) with the same escaping; any other
widget, and any template a project overrides, goes through the templates as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

Widget = dict[str, Any]


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: False leaves the attribute out, True writes it bare.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_input(widget: Widget) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def render_select(widget: Widget) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def render_textarea(widget: Widget) -> str:
    value = widget["value"]
    shown = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
        f"\n{shown}</textarea>"
    )


_INPUTS = (
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "hidden",
    "input",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
)
FAST: dict[str, Callable[[Widget], str]] = {
    **{f"django/forms/widgets/{name}.html": render_input for name in _INPUTS},
    "django/forms/widgets/select.html": render_select,
    "django/forms/widgets/textarea.html": render_textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    """``FORM_RENDERER``: the widgets in :data:`FAST` in Python, the rest as before."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST.get(template_name)
        widget = context.get("widget")
        # An option template of its own (a custom Select) keeps the template path.
        if fast is not None and widget is not None and _plain_options(widget):
            return fast(widget)
        return super().render(template_name, context, request)


def _plain_options(widget: Widget) -> bool:
    return all(
        option.get("template_name") == "django/forms/widgets/select_option.html"
        for _name, options, _index in widget.get("optgroups", ())
        for option in options
    )
