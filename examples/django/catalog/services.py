"""Application code the tests exercise."""
from django.db import transaction

from .models import ArchivedBook, Book, Job


def archive_books(before_year):
    """Copy every book published before `before_year` into ArchivedBook.

    The books are read without ORDER BY, so the copies get their ids in whatever order
    PostgreSQL returns the books (docs/order-contract.md §3.1): only the set of copies is defined.
    """
    books = Book.objects.filter(year__lt=before_year)
    return ArchivedBook.objects.bulk_create(ArchivedBook(title=b.title, year=b.year) for b in books)


def take_next_job_unordered():
    """Claim some open job. LIMIT 1 without ORDER BY: *which* job is unspecified (docs/order-contract.md §3.2)."""
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(done=False)[:1].get()
        job.done = True
        job.save(update_fields=["done"])
        return job


def take_next_job():
    """Claim the oldest open job: ORDER BY id fixes which one."""
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(done=False).order_by("id")[:1].get()
        job.done = True
        job.save(update_fields=["done"])
        return job
