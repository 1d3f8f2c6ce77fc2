"""Whole results compared as lists (docs/order-contract.md §3.1, §3.4).

A queryset without order_by(), a prefetched relation, or an aggregate without ordering= has no
defined order; comparing it with a list asserts one anyway.
"""
from collections import Counter

import pytest
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Prefetch

from catalog.models import Author, Book


@pytest.mark.order_dependent
def test_author_names(catalog):
    assert list(Author.objects.values_list("name", flat=True)) == [
        "Ursula K. Le Guin",
        "Terry Pratchett",
        "J. R. R. Tolkien",
    ]


@pytest.mark.fixed
def test_author_names_fixed(catalog):
    # compare as a multiset (unittest: assertCountEqual; Django: assertQuerysetEqual(ordered=False))
    assert Counter(Author.objects.values_list("name", flat=True)) == Counter(
        ["Ursula K. Le Guin", "Terry Pratchett", "J. R. R. Tolkien"]
    )


@pytest.mark.order_dependent
def test_prefetched_books(catalog):
    # the authors are ordered; the prefetch query (WHERE author_id IN (...)) is not
    authors = Author.objects.prefetch_related("books").order_by("name")
    assert [b.title for b in authors.get(name="Terry Pratchett").books.all()] == [
        "The Colour of Magic",
        "Mort",
        "Small Gods",
    ]


@pytest.mark.fixed
def test_prefetched_books_fixed(catalog):
    authors = Author.objects.prefetch_related(Prefetch("books", queryset=Book.objects.order_by("year")))
    assert [b.title for b in authors.get(name="Terry Pratchett").books.all()] == [
        "The Colour of Magic",
        "Mort",
        "Small Gods",
    ]


@pytest.mark.order_dependent
def test_bibliography_string(catalog):
    # string_agg(title, '; ') without ORDER BY: the order of the pieces is unspecified
    author = Author.objects.annotate(bibliography=StringAgg("books__title", "; ")).get(name="Ursula K. Le Guin")
    assert author.bibliography == "A Wizard of Earthsea; The Left Hand of Darkness; The Dispossessed"


@pytest.mark.fixed
def test_bibliography_string_fixed(catalog):
    author = Author.objects.annotate(
        bibliography=StringAgg("books__title", "; ", ordering=("books__year", "books__id"))
    ).get(name="Ursula K. Le Guin")
    assert author.bibliography == "A Wizard of Earthsea; The Left Hand of Darkness; The Dispossessed"
