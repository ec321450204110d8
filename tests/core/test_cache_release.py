"""Cache keys carry the release: a deploy never reads what the previous code stored,
while rate-limit counts carry on; the release is derived from the code and the
compiled translations unless HUIFANG_RELEASE names it; HUIFANG_DATAVERSION_CACHE=0
computes every cached value afresh."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from huifang.core import dataversion
from huifang.core.cache import (
    PACKAGE,
    RATE_COUNT_PREFIX,
    _derived_release,
    derive_release,
    release,
)


def test_every_key_carries_the_release() -> None:
    assert release() in cache.make_key("figures")
    with override_settings(HUIFANG_RELEASE="2026.12.1"):
        assert cache.make_key("figures") == ":1:2026.12.1:figures"


def test_a_value_stored_by_another_release_is_not_read() -> None:
    with override_settings(HUIFANG_RELEASE="old"):
        cache.set("figures", {"csat": 80})
        assert cache.get("figures") == {"csat": 80}
    with override_settings(HUIFANG_RELEASE="new"):
        assert cache.get("figures") is None
        cache.set("figures", {"csat": 90})
    with override_settings(HUIFANG_RELEASE="old"):
        assert cache.get("figures") == {"csat": 80}


def test_rate_limit_counts_carry_on_across_releases() -> None:
    key = RATE_COUNT_PREFIX + "client"
    with override_settings(HUIFANG_RELEASE="old"):
        cache.set(key, 3)
    with override_settings(HUIFANG_RELEASE="new"):
        assert cache.incr(key) == 4


@pytest.mark.django_db
def test_figures_are_computed_again_under_a_new_release() -> None:
    calls: list[str] = []

    def compute() -> int:
        calls.append("computed")
        return len(calls)

    with override_settings(HUIFANG_RELEASE="old"):
        assert dataversion.cached("test.figure", (), compute) == 1
        assert dataversion.cached("test.figure", (), compute) == 1
    with override_settings(HUIFANG_RELEASE="new"):
        assert dataversion.cached("test.figure", (), compute) == 2


@pytest.mark.django_db
def test_the_off_switch_computes_every_value_afresh() -> None:
    calls: list[str] = []

    def compute() -> int:
        calls.append("computed")
        return len(calls)

    with override_settings(HUIFANG_DATAVERSION_CACHE=False):
        assert [dataversion.cached("test.figure", (), compute) for _ in range(3)] == [1, 2, 3]
    assert dataversion.cached("test.figure", (), compute) == 4
    assert dataversion.cached("test.figure", (), compute) == 4


def test_a_configured_release_is_written_into_keys_safely() -> None:
    with override_settings(HUIFANG_RELEASE="v2 (build 7)\n" + "x" * 100):
        assert release() == "v2--build-7--" + "x" * 51
        assert cache.make_key("k").endswith(":k")


def test_the_derived_release_is_the_version_and_a_hash_of_this_code() -> None:
    version, digest = _derived_release().split("+")
    assert (version, len(digest)) == (importlib.metadata.version("huifang"), 12)
    assert _derived_release() == derive_release(PACKAGE, version)
    with override_settings(HUIFANG_RELEASE=""):
        assert release() == _derived_release()


def test_the_derived_release_changes_with_code_and_translations(tmp_path: Path) -> None:
    (tmp_path / "app" / "locale").mkdir(parents=True)
    code, catalogue = tmp_path / "app" / "models.py", tmp_path / "app" / "locale" / "django.mo"
    template = tmp_path / "app" / "page.html"
    code.write_text("FIELDS = ('name',)\n")
    catalogue.write_bytes(b"\x95\x04\x12\xde one wording")
    template.write_text("<p>{{ name }}</p>")
    first = derive_release(tmp_path, "1.0")
    assert derive_release(tmp_path, "1.0") == first

    template.write_text("<p>{{ name }}!</p>")  # templates render afresh: not a new release
    assert derive_release(tmp_path, "1.0") == first
    assert derive_release(tmp_path, "1.1") != first

    code.write_text("FIELDS = ('name', 'title')\n")
    second = derive_release(tmp_path, "1.0")
    catalogue.write_bytes(b"\x95\x04\x12\xde another wording")
    third = derive_release(tmp_path, "1.0")
    code.rename(tmp_path / "app" / "model.py")
    fourth = derive_release(tmp_path, "1.0")
    assert len({first, second, third, fourth}) == 4
