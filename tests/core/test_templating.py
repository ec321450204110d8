"""The Jinja2 environment gives pages what Django's templates gave them: the same URLs,
dates, translations and escaping, with its fast paths checked against Django's own."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import truncatechars as django_truncatechars
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from huifang.core.management.commands.makemessages import python_calls
from huifang.core.models import Role, User
from huifang.core.templating import Jinja2Templates, date, querystring, truncatechars, url
from huifang.visits.models import Visit, VisitStatus

SOURCE = Path(__file__).resolve().parents[2] / "src" / "huifang"


def _environment() -> jinja2.Environment:
    engine = engines["jinja2"]
    assert isinstance(engine, Jinja2Templates)
    return engine.env


def _render(source: str, **context: object) -> str:
    return engines["jinja2"].from_string(source).render(context)


def _int_url_names() -> list[tuple[str, int]]:
    """Every named URL of ours whose arguments are all ids, with how many it takes."""
    found = []

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                converters = pattern.pattern.converters
                if converters and all(c.regex == "[0-9]+" for c in converters.values()):
                    found.append((f"{namespace}{pattern.name}", len(converters)))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


URL_NAMES = _int_url_names()


def test_there_are_id_urls_to_check() -> None:
    assert ("visits:record", 1) in URL_NAMES
    assert len(URL_NAMES) > 20


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(URL_NAMES),
    ids=st.lists(st.integers(min_value=0, max_value=10**12), min_size=3, max_size=3),
)
def test_url_gives_what_reverse_gives(name: tuple[str, int], ids: list[int]) -> None:
    viewname, arity = name
    args = ids[:arity]
    assert url(viewname, *args) == reverse(viewname, args=args)


def test_url_falls_back_to_reverse_for_other_arguments() -> None:
    assert url("visits:record", "12") == reverse("visits:record", args=["12"])
    assert url("home") == reverse("home")


DATE_FORMATS = ["SHORT_DATE_FORMAT", "DATE_FORMAT", "Y-m-d", "F Y", "SHORT_DATETIME_FORMAT", "H:i"]


@settings(max_examples=80, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2999, 12, 31)
    ),
    as_date=st.booleans(),
    format_name=st.sampled_from(DATE_FORMATS),
    language=st.sampled_from(["en", "zh-hans"]),
)
def test_date_gives_what_djangos_date_filter_gives(
    moment: datetime.datetime, as_date: bool, format_name: str, language: str
) -> None:
    value: datetime.date = moment.date() if as_date else moment
    with translation.override(language):
        try:
            expected = django_date(value, format_name)
        except TypeError:  # a time format for a date: Django refuses, so do we
            with pytest.raises(TypeError):
                date(value, format_name)
            return
        assert date(value, format_name) == expected


@given(
    text=st.text(alphabet=st.sampled_from("ab 回访\u0301\u0065\u00e9\u4e2d"), max_size=40),
    length=st.integers(min_value=-1, max_value=45),
)
def test_truncatechars_gives_what_djangos_filter_gives(text: str, length: int) -> None:
    # (combining accents and decomposed letters: the cases where Django normalises)
    assert truncatechars(text, length) == django_truncatechars(text, length)


def test_date_shows_an_aware_moment_in_the_current_time_zone() -> None:
    moment = datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC)
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert date(moment, "Y-m-d H:i") == "2026-03-02 04:30"
        assert _render("{{ moment|time('H:i') }}", moment=moment) == "04:30"


def test_printed_dates_use_the_one_format_of_each_language() -> None:
    day = datetime.date(2026, 3, 2)
    moment = datetime.datetime(2026, 3, 2, 6, 5, tzinfo=datetime.UTC)
    source = (
        "{{ day }}|{{ day|date }}|{{ day|date('SHORT_DATE_FORMAT') }}|"
        "{{ moment|date('DATETIME_FORMAT') }}|{{ moment|date('SHORT_DATETIME_FORMAT') }}|"
        "{{ day|date('YEAR_MONTH_FORMAT') }}"
    )
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        with translation.override("en"):
            assert _render(source, day=day, moment=moment).split("|") == [
                *["2 Mar 2026"] * 3,
                *["2 Mar 2026 14:05"] * 2,
                "March 2026",
            ]
        with translation.override("zh-hans"):
            assert _render(source, day=day, moment=moment).split("|") == [
                *["2026-03-02"] * 3,
                *["2026-03-02 14:05"] * 2,
                "2026年3月",
            ]


def test_printing_a_method_instead_of_calling_it_is_an_error() -> None:
    with pytest.raises(TypeError, match="call it"):
        _render("{{ user.get_full_name }}", user=User(username="x"))


def test_html_is_escaped_and_email_text_is_not() -> None:
    assert _render("{{ text }}", text="<b>&") == "&lt;b&gt;&amp;"
    escapes = _environment().autoescape
    assert callable(escapes)
    assert escapes("notify/email.html") is True
    assert escapes("notify/email.txt") is False


def test_translations_follow_the_active_language_and_escape_values() -> None:
    source = '{{ _("Showing the first %(shown)s of %(total)s.", shown=shown, total=2) }}'
    with translation.override("en"):
        assert _render(source, shown="<1>") == "Showing the first &lt;1&gt; of 2."
    with translation.override("zh-hans"):
        assert "&lt;1&gt;" in _render(source, shown="<1>")
        assert "Showing" not in _render(source, shown=1)


def test_querystring_changes_and_removes_keys_as_djangos_tag() -> None:
    request = RequestFactory().get("/visits/?status=open&page=3&q=a+b")
    assert querystring(request, page=None) == "?status=open&q=a+b"
    assert querystring(request, sort="-due") == "?status=open&page=3&q=a+b&sort=-due"
    assert querystring(RequestFactory().get("/")) == ""


def test_every_template_compiles() -> None:
    env = _environment()
    names = env.list_templates(extensions=["html", "txt"])
    assert "base.html" in names
    assert "visits/record_form.html" in names
    for name in names:
        env.get_template(name)


def test_makemessages_finds_the_messages_of_a_template_on_their_lines() -> None:
    source = (
        '<h1>{{ _("My work") }}</h1>\n'
        '{{ ngettext("%(days)s day late", "%(days)s days late", n, days=n) }}\n'
        '{{ pgettext("visit phase", "Closing") }} {{ _(variable) }}\n'
    )
    lines = python_calls(source).splitlines()
    assert lines[0] == 'gettext("My work"); '
    assert lines[1] == 'ngettext("%(days)s day late", "%(days)s days late", n); '
    assert lines[2] == 'pgettext("visit phase", "Closing"); '


@pytest.mark.django_db
def test_choice_labels_follow_the_active_language() -> None:
    visit = Visit(status=VisitStatus.DONE)
    user = User(role=Role.QUALITY)
    with translation.override("en"):
        assert visit.get_status_display() == str(VisitStatus.DONE.label)
        assert user.get_role_display() == "Quality manager"
    with translation.override("zh-hans"):
        assert user.get_role_display() == str(Role.QUALITY.label)
        assert user.get_role_display() != "Quality manager"
    assert Visit(status="unknown").get_status_display() == "unknown"


@given(
    moment=st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(2999, 12, 31),
        timezones=st.just(datetime.UTC),
    )
)
def test_every_date_reads_back_as_itself_in_both_languages(moment: datetime.datetime) -> None:
    """The one format of each language is unambiguous: what a page prints for a moment
    parses back to that moment's day and minute in the organisation's time zone."""
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        local = timezone.localtime(moment).replace(second=0, microsecond=0, tzinfo=None)
        with translation.override("en"):
            shown = date(moment, "DATETIME_FORMAT")
            assert datetime.datetime.strptime(shown, "%d %b %Y %H:%M") == local
            assert date(local.date()) == f"{local.day} {local:%b %Y}"
        with translation.override("zh-hans"):
            assert date(moment, "DATETIME_FORMAT") == local.strftime("%Y-%m-%d %H:%M")
            assert date(local.date()) == local.date().isoformat()
