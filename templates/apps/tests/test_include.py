"""utils.include(): prefixing, handler arguments and route names."""

import json
import re
import sys
import types

import pytest
import tornado.web
from tornado.testing import AsyncHTTPTestCase
from tornado.web import URLSpec

from tests.sample_urls import EchoHandler
from utils import include


def patterns(specs):
    return {spec.name: spec.regex.pattern for spec in specs}


def test_every_entry_is_mounted_as_a_urlspec():
    specs = include("/api/", "tests.sample_urls")
    assert len(specs) == 10
    assert all(isinstance(spec, URLSpec) for spec in specs)
    assert all(spec.handler_class is EchoHandler for spec in specs)


def test_patterns_are_prefixed():
    specs = include("/api/", "tests.sample_urls")
    assert [spec.regex.pattern for spec in specs] == [
        "/api/$",
        "/api/absolute$",
        "/api/anchored$",
        "/api/items/([0-9]+)/([a-z]+)$",
        "/api/users/(?P<user>[^/]+)$",
        "/api/kw$",
        "/api/pair$",
        "/api/triple/([0-9]+)$",
        "/api/quad$",
        "/api/shout/(?P<word>[a-z]+)$",
    ]


def test_prefix_without_trailing_slash_mounts_the_same():
    assert patterns(include("/api", "tests.sample_urls")) == patterns(
        include("/api/", "tests.sample_urls")
    )


def test_nested_prefix():
    specs = include("/v1/api/", "tests.sample_urls")
    assert specs[3].reverse("7", "x") == "/v1/api/items/7/x"


def test_names_and_kwargs_are_kept():
    specs = {spec.regex.pattern: spec for spec in include("/api/", "tests.sample_urls")}
    assert specs["/api/kw$"].name == "kw"
    assert specs["/api/kw$"].kwargs == {"greeting": "hello"}
    assert specs["/api/quad$"].name == "quad"
    assert specs["/api/quad$"].kwargs == {"greeting": "four"}
    assert specs["/api/triple/([0-9]+)$"].kwargs == {"greeting": "three"}
    assert specs["/api/pair$"].name is None


def test_compiled_patterns_keep_their_flags():
    shout = include("/api/", "tests.sample_urls")[-1]
    assert shout.regex.flags & re.IGNORECASE
    assert shout.regex.match("/api/SHOUT/Hey")


def test_namespace_prefixes_names():
    names = {spec.name for spec in include("/api/", "tests.sample_urls", namespace="api")}
    assert {"api:root", "api:item", "api:quad"} <= names
    assert None in names  # unnamed routes stay unnamed


def test_prefix_must_be_absolute():
    with pytest.raises(ValueError, match="must start with '/'"):
        include("api/", "tests.sample_urls")


def test_rejects_unknown_entries(monkeypatch):
    bogus = types.ModuleType("bogus_urls")
    bogus.urls = ["not a route"]
    monkeypatch.setitem(sys.modules, "bogus_urls", bogus)
    with pytest.raises(TypeError, match="bogus_urls"):
        include("/x/", "bogus_urls")


def test_nested_include():
    inner = types.ModuleType("outer_urls")
    inner.urls = include("/inner/", "tests.sample_urls")
    sys.modules["outer_urls"] = inner
    try:
        specs = include("/outer/", "outer_urls")
    finally:
        del sys.modules["outer_urls"]
    assert specs[3].regex.pattern == "/outer/inner/items/([0-9]+)/([a-z]+)$"
    assert specs[3].name == "item"


class MountedAppTest(AsyncHTTPTestCase):
    """The mounted routes really answer, with their arguments, and reverse correctly."""

    def get_app(self):
        return tornado.web.Application(
            [
                *include("/api/", "tests.sample_urls"),
                *include("/ns/", "tests.sample_urls", namespace="ns"),
            ]
        )

    def get_json(self, path):
        response = self.fetch(path)
        assert response.code == 200, path
        return json.loads(response.body)

    def test_root_of_the_mount(self):
        assert self.get_json("/api/")["greeting"] == "hi"

    def test_positional_groups_reach_the_handler(self):
        assert self.get_json("/api/items/42/abc")["args"] == ["42", "abc"]

    def test_named_groups_reach_the_handler(self):
        assert self.get_json("/api/users/ada")["kwargs"] == {"user": "ada"}

    def test_handler_kwargs_reach_initialize(self):
        assert self.get_json("/api/kw")["greeting"] == "hello"
        assert self.get_json("/api/triple/3") == {"greeting": "three", "args": ["3"], "kwargs": {}}

    def test_unprefixed_paths_are_not_routed(self):
        assert self.fetch("/items/42/abc").code == 404
        assert self.fetch("/kw").code == 404

    def test_reverse_url_returns_prefixed_paths(self):
        app = self._app
        assert app.reverse_url("ns:root") == "/ns/"
        assert app.reverse_url("ns:item", 42, "abc") == "/ns/items/42/abc"
        assert app.reverse_url("ns:user", "ada lovelace") == "/ns/users/ada%20lovelace"
        assert app.reverse_url("quad") == "/api/quad"


def mount(pattern):
    """include("/api/", ...) of a module whose only route has ``pattern``."""
    module = types.ModuleType("bar_urls")
    module.urls = [(pattern, EchoHandler)]
    sys.modules["bar_urls"] = module
    try:
        return include("/api/", "bar_urls")
    finally:
        del sys.modules["bar_urls"]


@pytest.mark.parametrize("pattern", [r"a|b", r"(x)|y", r"[ab]|c", r"\\|a|b"])
def test_a_top_level_bar_is_refused(pattern):
    # "/api/a|b$" would match "/api/abc" (no "$" for "a") and "b" (no prefix for "b").
    with pytest.raises(ValueError, match=r"top-level '\|'.*group the alternatives"):
        mount(pattern)


@pytest.mark.parametrize("pattern", [r"(?:a|b)", r"[|]", r"\|", r"[]|]", r"[^]|]x", r"(a(b|c))"])
def test_a_bar_inside_a_group_or_class_is_fine(pattern):
    (spec,) = mount(pattern)
    assert spec.regex.pattern == "/api/" + pattern + "$"


def test_grouped_alternatives_keep_the_prefix():
    (spec,) = mount(r"(?:a|b)")
    assert spec.regex.match("/api/a") and spec.regex.match("/api/b")
    assert not spec.regex.match("b")


def test_a_prefix_with_a_top_level_bar_is_refused():
    with pytest.raises(ValueError, match="prefix has a top-level"):
        include("/a|b/", "tests.sample_urls")
