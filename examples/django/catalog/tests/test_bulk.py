"""bulk_create, bulk_update and copies made from unordered querysets (docs/order-contract.md §3.1, §3.6, §4.3).

bulk_create's INSERT ... VALUES ... RETURNING id hands the new ids back in the order of the
VALUES list, and Django maps them to the objects by position: that order is kept (§4.3), so
the ids of created objects are right with the extension on. Reading the rows back without
ORDER BY, or creating rows from an unordered queryset, is another matter.
"""
from collections import Counter
from decimal import Decimal

import pytest

from catalog.models import ArchivedBook, Book
from catalog.services import archive_books

DISCWORLD = [("Guards! Guards!", 1989), ("Reaper Man", 1991), ("Men at Arms", 1993), ("Feet of Clay", 1996)]


def make_books(author):
    return [Book(author=author, title=t, year=y, price=Decimal("7.99")) for t, y in DISCWORLD]


@pytest.mark.kept
def test_bulk_create_assigns_ids_by_position(catalog):
    created = Book.objects.bulk_create(make_books(catalog["Terry Pratchett"]))
    assert all(b.pk is not None for b in created)
    assert [Book.objects.get(pk=b.pk).title for b in created] == [t for t, _ in DISCWORLD]
    assert [b.pk for b in created] == sorted(b.pk for b in created)


@pytest.mark.order_dependent
def test_bulk_created_books_read_back(catalog):
    created = Book.objects.bulk_create(make_books(catalog["Terry Pratchett"]))
    titles = Book.objects.filter(pk__in=[b.pk for b in created]).values_list("title", flat=True)
    assert list(titles) == [b.title for b in created]


@pytest.mark.fixed
def test_bulk_created_books_read_back_fixed(catalog):
    # ids follow the creation order (see above), so ORDER BY id is the creation order
    created = Book.objects.bulk_create(make_books(catalog["Terry Pratchett"]))
    titles = Book.objects.filter(pk__in=[b.pk for b in created]).order_by("id").values_list("title", flat=True)
    assert list(titles) == [b.title for b in created]


@pytest.mark.order_dependent
def test_bulk_update_prices(catalog):
    books = list(Book.objects.filter(author=catalog["Ursula K. Le Guin"]).order_by("id"))
    for book in books:
        book.price += Decimal("1.00")
    Book.objects.bulk_update(books, ["price"])
    prices = Book.objects.filter(author=catalog["Ursula K. Le Guin"]).values_list("price", flat=True)
    assert list(prices) == [b.price for b in books]


@pytest.mark.fixed
def test_bulk_update_prices_fixed(catalog):
    books = list(Book.objects.filter(author=catalog["Ursula K. Le Guin"]).order_by("id"))
    for book in books:
        book.price += Decimal("1.00")
    Book.objects.bulk_update(books, ["price"])
    prices = dict(Book.objects.filter(author=catalog["Ursula K. Le Guin"]).values_list("id", "price"))
    assert prices == {b.pk: b.price for b in books}


@pytest.mark.order_dependent
def test_archive_keeps_publication_order(catalog):
    # archive_books() iterates an unordered queryset: the copies' ids follow that order
    archive_books(before_year=1960)
    assert list(ArchivedBook.objects.order_by("id").values_list("title", flat=True)) == [
        "The Hobbit",
        "The Fellowship of the Ring",
        "The Two Towers",
        "The Return of the King",
    ]


@pytest.mark.fixed
def test_archive_keeps_publication_order_fixed(catalog):
    # assert what archive_books() promises: which books were copied, not in which order
    archive_books(before_year=1960)
    assert Counter(ArchivedBook.objects.values_list("title", "year")) == Counter(
        [
            ("The Hobbit", 1937),
            ("The Fellowship of the Ring", 1954),
            ("The Two Towers", 1954),
            ("The Return of the King", 1955),
        ]
    )
