"""Which rows a LIMIT picks (docs/order-contract.md §3.2): qs[0], qs[:3], queue picks.

Without ORDER BY, LIMIT may return any rows. PostgreSQL happens to return the first ones
inserted, so these tests pass for years, until a VACUUM, an UPDATE or a new plan.
"""
import pytest

from catalog.models import Book, Job
from catalog.services import take_next_job, take_next_job_unordered


@pytest.mark.order_dependent
def test_first_book_by_index(catalog):
    # SELECT ... WHERE author_id = %s LIMIT 1: no ORDER BY, so any of the author's books
    book = Book.objects.filter(author=catalog["J. R. R. Tolkien"])[0]
    assert book.title == "The Hobbit"


@pytest.mark.fixed
def test_first_book_by_index_fixed(catalog):
    book = Book.objects.filter(author=catalog["J. R. R. Tolkien"]).order_by("year", "id")[0]
    assert book.title == "The Hobbit"


@pytest.mark.kept
def test_first_on_unordered_queryset(catalog):
    # first() orders an unordered queryset by the primary key itself: ORDER BY id LIMIT 1
    book = Book.objects.filter(author=catalog["J. R. R. Tolkien"]).first()
    assert book.title == "The Hobbit"


@pytest.mark.order_dependent
def test_three_books_by_slice(catalog):
    # LIMIT 3 without ORDER BY: *which* three rows is unspecified, not only their order
    titles = [b.title for b in Book.objects.all()[:3]]
    assert titles == ["A Wizard of Earthsea", "The Left Hand of Darkness", "The Dispossessed"]


@pytest.mark.fixed
def test_three_books_by_slice_fixed(catalog):
    titles = [b.title for b in Book.objects.order_by("id")[:3]]
    assert titles == ["A Wizard of Earthsea", "The Left Hand of Darkness", "The Dispossessed"]


@pytest.fixture
def jobs(db):
    return [Job.objects.create(name=name) for name in ("send invoices", "resize images", "rebuild index")]


@pytest.mark.order_dependent
def test_queue_takes_the_oldest_job(jobs):
    # SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1 without ORDER BY: any open job
    assert take_next_job_unordered().name == "send invoices"


@pytest.mark.fixed
def test_queue_takes_the_oldest_job_fixed(jobs):
    # the code now says ORDER BY id
    assert take_next_job().name == "send invoices"
    assert take_next_job().name == "resize images"
