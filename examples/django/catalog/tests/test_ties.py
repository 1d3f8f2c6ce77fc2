"""Rows tied on every ORDER BY key (docs/order-contract.md §3.3).

order_by("year") fixes the order of books of different years only; two books of the same
year may come back either way, and a LIMIT (first(), latest(), earliest(), [0]) may pick
either. Sorting happens to keep such rows in insertion order for small inputs.
"""
import pytest

from catalog.models import Book


@pytest.mark.order_dependent
def test_books_by_year(catalog):
    # The Fellowship of the Ring and The Two Towers are both from 1954
    titles = [b.title for b in Book.objects.filter(author=catalog["J. R. R. Tolkien"]).order_by("year")]
    assert titles == ["The Hobbit", "The Fellowship of the Ring", "The Two Towers", "The Return of the King"]


@pytest.mark.fixed
def test_books_by_year_fixed(catalog):
    # a unique last key (here the primary key) breaks the ties
    titles = [b.title for b in Book.objects.filter(author=catalog["J. R. R. Tolkien"]).order_by("year", "id")]
    assert titles == ["The Hobbit", "The Fellowship of the Ring", "The Two Towers", "The Return of the King"]


@pytest.mark.order_dependent
def test_cheapest_book(catalog):
    # The Colour of Magic and Mort both cost 8.99: ORDER BY price LIMIT 1 may pick either
    assert Book.objects.filter(author=catalog["Terry Pratchett"]).earliest("price").title == "The Colour of Magic"


@pytest.mark.fixed
def test_cheapest_book_fixed(catalog):
    assert Book.objects.filter(author=catalog["Terry Pratchett"]).earliest("price", "year").title == "The Colour of Magic"


@pytest.mark.order_dependent
def test_most_expensive_book(catalog):
    # first() keeps the ordering it is given: ORDER BY price DESC LIMIT 1, three books tie
    book = Book.objects.filter(author=catalog["J. R. R. Tolkien"]).order_by("-price").first()
    assert book.title == "The Fellowship of the Ring"


@pytest.mark.fixed
def test_most_expensive_book_fixed(catalog):
    book = Book.objects.filter(author=catalog["J. R. R. Tolkien"]).order_by("-price", "year", "id").first()
    assert book.title == "The Fellowship of the Ring"
