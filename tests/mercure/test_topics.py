"""Selector matching: exact, '*', URI templates, URL patterns, and the cost cap."""

from __future__ import annotations

import pytest

from hub.mercure.topics import (
    EXACT,
    URITEMPLATE,
    URLPATTERN,
    SelectorError,
    compile_selector,
)

BASE = "https://localhost/.well-known/mercure"


@pytest.mark.parametrize(
    ("kind", "selector", "topic", "expected"),
    [
        (EXACT, "foo", "foo", True),
        (EXACT, "foo", "Foo", False),
        (EXACT, "https://a/b", "https://a/b/", False),  # byte-for-byte, no normalisation
        (EXACT, "*", "anything at all", True),
        (URITEMPLATE, "https://e.net/foo/{id}", "https://e.net/foo/12", True),
        (URITEMPLATE, "https://e.net/foo/{id}", "https://e.net/foo/1/2", False),
        (URITEMPLATE, "https://e.net/foo/{id}", "https://e.net/bar/1", False),
        (URITEMPLATE, "https://e.net/foo{/a,b}", "https://e.net/foo/x/y", True),
        (URITEMPLATE, "https://e.net/s{?q,r}", "https://e.net/s?q=1&r=2", True),
        (URITEMPLATE, "https://e.net/{+path}", "https://e.net/a/b/c", True),
        (URITEMPLATE, "https://e.net/{id}", "https://e.net/{id}", True),  # equal string matches
        (URLPATTERN, "https://e.net/foo/:id", "https://e.net/foo/12", True),
        (URLPATTERN, "https://e.net/foo/:id", "https://e.net/foo/1/2", False),
        (URLPATTERN, "https://e.net/foo/:id", "https://e.net/foo/", False),
        (URLPATTERN, "https://e.net/foo/:id", "https://e.net/foo/1?x=1", True),  # search: wildcard
        (URLPATTERN, "https://e.net/books/:id?", "https://e.net/books", True),
        (URLPATTERN, "https://e.net/books/:id?", "https://e.net/books/7", True),
        (URLPATTERN, "https://e.net/files/*", "https://e.net/files/a/b.txt", True),
        (URLPATTERN, "https://:sub.e.net/x", "https://api.e.net/x", True),
        (URLPATTERN, "https://:sub.e.net/x", "https://a.b.e.net/x", False),
        (URLPATTERN, "https://e.net/{a/}?b", "https://e.net/b", True),
        (URLPATTERN, "https://e.net/{a/}?b", "https://e.net/a/b", True),
        (URLPATTERN, "https://e.net/x", "https://e.net:443/x", True),  # default port
        (URLPATTERN, "https://e.net/x", "https://e.net:8443/x", False),
        (URLPATTERN, "https://e.net/x", "not a url", False),
        (URLPATTERN, "/lots/:id", "https://localhost/lots/1", True),  # relative: hub's origin
        (URLPATTERN, "/lots/:id", "https://other/lots/1", False),
    ],
)
def test_matching(kind: str, selector: str, topic: str, expected: bool) -> None:
    assert compile_selector(kind, selector, BASE).matches(topic) is expected


@pytest.mark.parametrize(
    ("kind", "selector"),
    [
        (URLPATTERN, "https://e.net/(\\d+)"),  # regexp groups: refused (no backtracking)
        (URLPATTERN, "https://e.net/:id(\\d+)"),
        (URLPATTERN, "https://e.net/{unclosed"),
        (URLPATTERN, "https://e.net/:"),
        (URLPATTERN, "https://user@e.net/x"),
        (URLPATTERN, "https://e.net/a}"),
        (URITEMPLATE, "https://e.net/{unclosed"),
        (URITEMPLATE, "https://e.net/{bad name}"),
    ],
)
def test_invalid_selectors(kind: str, selector: str) -> None:
    with pytest.raises(SelectorError):
        compile_selector(kind, selector, BASE)


@pytest.mark.parametrize(
    "pattern",
    [
        "https://e.net/" + ":a" * 40 + "-",  # ambiguous adjacent groups
        "https://e.net/{:a}*{:b}*{:c}*-",  # nested repetition
    ],
)
def test_pathological_patterns_are_bounded(pattern: str) -> None:
    # Either linear work or the step budget; both end quickly with "no match".
    sel = compile_selector(URLPATTERN, pattern, BASE)
    assert sel.matches("https://e.net/" + "a" * 4000) is False


def test_template_with_adjacent_reserved_vars_is_bounded() -> None:
    sel = compile_selector(URITEMPLATE, "https://e.net/{+a}{+b}{+c}{+d}!", BASE)
    assert sel.matches("https://e.net/" + "a" * 4000) is False


def test_compiled_selectors_are_shared() -> None:
    a = compile_selector(URLPATTERN, "https://e.net/foo/:id", BASE)
    b = compile_selector(URLPATTERN, "https://e.net/foo/:id", BASE)
    assert a is b
