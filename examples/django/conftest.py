"""Fixtures of the bookshop example, and the bookkeeping run.sh checks.

Every test must carry exactly one of the markers order_dependent, fixed, kept (pytest.ini).
Each test records, as junit-xml properties, its marker and the unorder_rows state its own
database session had, so that run.sh can check that a test failed *because* the extension was
on, and not for another reason. (The pytest plugin, `pytest --unorder-rows`, records the seed,
the perturbed statements and the labels itself.)
"""
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Author, Book

KINDS = ("order_dependent", "fixed", "kept")


def pytest_collection_modifyitems(items):
    for item in items:
        kinds = [k for k in KINDS if item.get_closest_marker(k)]
        if len(kinds) != 1:
            raise pytest.UsageError(f"{item.nodeid}: mark it with exactly one of {KINDS}, not {kinds}")


@pytest.fixture(autouse=True)
def unorder_rows_state(request, db, record_property):
    """Record the test's kind and its database session's unorder_rows state."""
    kind = next(k for k in KINDS if request.node.get_closest_marker(k))
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('unorder_rows', true)")
        (state,) = cur.fetchone()
    record_property("kind", kind)
    record_property("session", state or "not loaded")


BOOKS = {
    "Ursula K. Le Guin": [
        ("A Wizard of Earthsea", 1968, "9.99"),
        ("The Left Hand of Darkness", 1969, "12.50"),
        ("The Dispossessed", 1974, "12.50"),
    ],
    "Terry Pratchett": [
        ("The Colour of Magic", 1983, "8.99"),
        ("Mort", 1987, "8.99"),
        ("Small Gods", 1992, "10.00"),
    ],
    "J. R. R. Tolkien": [
        ("The Hobbit", 1937, "11.00"),
        ("The Fellowship of the Ring", 1954, "14.00"),
        ("The Two Towers", 1954, "14.00"),
        ("The Return of the King", 1955, "14.00"),
    ],
}


@pytest.fixture
def catalog(db):
    """Three authors and ten books, created one by one in the order above."""
    authors = {}
    for name, books in BOOKS.items():
        author = authors[name] = Author.objects.create(name=name)
        for title, year, price in books:
            Book.objects.create(author=author, title=title, year=year, price=Decimal(price))
    return authors
