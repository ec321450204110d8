"""The template engine of Huifang's pages and e-mails: Jinja2, set up for Django.

Why Jinja2 and not Django's template language: the pages' time was template rendering
(measured in bench/RESULTS.md; Django's engine resolves every ``{{ a.b }}`` through a
chain of lookups and exceptions). Jinja2 compiles a template to Python once. The
admin keeps Django's templates (settings.TEMPLATES lists both engines).

What the environment gives templates, besides Jinja2's own:

- ``_()``, ``ngettext()``, ``pgettext()``: Django's translations, new-style (named
  ``%(name)s`` placeholders, values escaped). ``make messages`` extracts them.
- ``url(name, *args)``: ``reverse``, with a fast path for ids (see ``url``).
- ``static(path)``, ``querystring(request, **changes)`` (as Django's tag),
  ``csrf_input`` (from the backend), and the context processors' values.
- Django's filters that pages use (``date``, ``linebreaksbr``, ``truncatechars`` …);
  ``date`` formats in the current language and time zone as Django's does.
- Output is finalised as Django's engine does: dates, times and decimals are localised
  and shown in the current time zone. A method printed without calling it is an error,
  not the text ``<bound method …>``.
"""

from __future__ import annotations

import datetime
import decimal
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import jinja2
from django.conf import settings
from django.http import HttpRequest
from django.template import defaultfilters
from django.template.backends.jinja2 import Jinja2
from django.template.backends.jinja2 import Template as DjangoJinja2Template
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.html import json_script
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

from huifang.core import scores
from huifang.core.phone_cards import card as phone_card

# --- URLs -----------------------------------------------------------------------------

# Sentinels that no real id reaches, used to learn where ids go in a URL.
_MARKER = 987_654_321_000


@lru_cache(maxsize=1024)
def _url_shape(viewname: str, arity: int, prefix: str, urlconf: Any) -> str | None:
    """The URL of ``viewname`` with ``arity`` integer arguments as a format string
    ("/visits/{0}/record/"), or None when the arguments do not appear verbatim."""
    markers = [_MARKER + index for index in range(arity)]
    path = reverse(viewname, args=markers, urlconf=urlconf)
    shape = path.replace("{", "{{").replace("}", "}}")
    for index, marker in enumerate(markers):
        if shape.count(str(marker)) != 1:
            return None
        shape = shape.replace(str(marker), f"{{{index}}}")
    return shape


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    """``reverse(viewname, args=args, kwargs=kwargs)``.

    A page links to dozens of rows ("/visits/123/record/"); ``reverse`` costs tens of
    microseconds each. For non-negative integer arguments the URL's shape is learnt
    once (per URLconf and script prefix) and the ids are put into it, which gives the
    same string: the id converters of our URLs print an int as ``str(int)``. A URL
    without arguments is learnt whole."""
    if not kwargs and all(type(arg) is int and arg >= 0 for arg in args):
        shape = _url_shape(viewname, len(args), get_script_prefix(), get_urlconf())
        if shape is not None:
            return shape.format(*args)
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def querystring(request: HttpRequest, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key), as
    Django's ``{% querystring %}`` tag."""
    query = request.GET
    params = query.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        elif isinstance(value, Iterable) and not isinstance(value, str):
            params.setlist(key, list(value))
        else:
            params[key] = value
    if not params and not query:
        return ""
    return f"?{params.urlencode()}"


# --- Dates and output -----------------------------------------------------------------

# Format characters that map straight to a zero-padded or plain number.
_SIMPLE_FORMAT = {
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


# Every character Django's date format gives a meaning (django.utils.dateformat).
_DJANGO_FORMAT_CHARACTERS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")


@lru_cache(maxsize=256)
def _compiled(format_string: str, is_datetime: bool) -> Callable[[Any], str] | None:
    """A fast formatter for formats of numbers and separators only ("Y-m-d", "m/d/Y",
    "Y年n月j日 H:i"), else None (Django's formatter handles the rest)."""
    parts = []
    escaped = False
    for char in format_string:
        if escaped:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SIMPLE_FORMAT:
            if char in "HGis" and not is_datetime:
                return None
            parts.append(_SIMPLE_FORMAT[char])
        elif char in _DJANGO_FORMAT_CHARACTERS:
            return None
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts).format


def _local(value: Any) -> Any:
    """An aware moment in the current time zone (Django's templates do this to every
    value before filters and output); anything else as it is."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter, in the current time zone, with a fast path."""
    if value in (None, ""):
        return ""
    value = _local(value)
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, arg)
    format_string = formats.get_format(arg or "DATE_FORMAT")
    fast = _compiled(format_string, isinstance(value, datetime.datetime))
    if fast is not None:
        return fast(value)
    return dateformat.format(value, format_string)


def time(value: Any, arg: str | None = None) -> str:
    """Django's ``time`` filter, in the current time zone."""
    return defaultfilters.time(_local(value), arg)


def finalize(value: Any) -> Any:
    """What ``{{ value }}`` prints, as in Django's templates: localised dates, times,
    decimals and floats, in the current time zone."""
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal, float)):
        return formats.localize(_local(value))
    if callable(value) and not isinstance(value, (jinja2.Undefined, SafeString, type)):
        raise TypeError(f"the template prints the method {value!r}: call it")
    return value


def _escaping(filter_function: Callable[..., Any]) -> Callable[..., Any]:
    """Django filters that take ``autoescape``: always on, as in our pages."""

    def run(value: Any, *args: Any) -> Any:
        return filter_function(value, *args, autoescape=True)

    return run


def default_if_none(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def language_choices() -> list[dict[str, Any]]:
    """The languages to switch to, each named in its own language."""
    return [translation.get_language_info(code) for code, _name in settings.LANGUAGES]


# --- The environment ------------------------------------------------------------------


def truncatechars(value: Any, length: int) -> str:
    """Django's ``truncatechars``, without its cost where nothing is cut: a board of
    100 cards spent 2 ms in it. Django returns the text NFC-normalised, and so does
    this (a normalised text that fits is returned as it is)."""
    fits = isinstance(value, str) and len(value) <= int(length)
    if fits and unicodedata.is_normalized("NFC", value):
        return str(value)
    return defaultfilters.truncatechars(value, length)


def environment(**options: Any) -> jinja2.Environment:
    options.setdefault("undefined", jinja2.ChainableUndefined)
    options.pop("autoescape", None)
    env = jinja2.Environment(
        # HTML is escaped; e-mail text parts are not HTML, so not there.
        autoescape=jinja2.select_autoescape(
            disabled_extensions=("txt",), default_for_string=True, default=True
        ),
        extensions=["jinja2.ext.i18n"],
        finalize=finalize,
        **options,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext,
        translation.ngettext,
        newstyle=True,
        pgettext=translation.pgettext,
        npgettext=translation.npgettext,
    )
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        language_choices=language_choices,
        phone_card=phone_card,
        scores=scores,
    )
    env.filters.update(
        date=date,
        time=time,
        default_if_none=default_if_none,
        linebreaksbr=_escaping(defaultfilters.linebreaksbr),
        truncatechars=truncatechars,
        floatformat=defaultfilters.floatformat,
        yesno=defaultfilters.yesno,
        stringformat=defaultfilters.stringformat,
        add=defaultfilters.add,
        capfirst=defaultfilters.capfirst,
        json_script=json_script,
        filesizeformat=defaultfilters.filesizeformat,
        join=_escaping(defaultfilters.join),
    )
    for name, path in settings.HUIFANG_TEMPLATE_FILTERS.items():
        env.filters[name] = import_string(path)
    return env


# --- The backend ----------------------------------------------------------------------


class Template(DjangoJinja2Template):
    """Django's Jinja2 template that also tells the test client what it rendered
    (``response.context``, ``assertTemplateUsed``), as Django's own engine does."""

    @property
    def name(self) -> str | None:
        return self.template.name

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> str:
        context = dict(context or {})
        if request is not None:
            context["request"] = request
            context["csrf_input"] = csrf_input_lazy(request)
            context["csrf_token"] = csrf_token_lazy(request)
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        if template_rendered.receivers:
            # Before rendering, as Django's engine does: the forms that the page
            # renders inside come after it in ``response.context``.
            template_rendered.send(sender=self, template=self, context=context)
        return super().render(context)


class Jinja2Templates(Jinja2):
    def get_template(self, template_name: str) -> Template:
        template = super().get_template(template_name)
        return Template(template.template, self)

    def from_string(self, template_code: str) -> Template:
        return Template(self.env.from_string(template_code), self)
