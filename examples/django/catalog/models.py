"""Models of the bookshop example.

None of them has Meta.ordering, like most models in real projects: a queryset is ordered only
where the code says order_by(), and PostgreSQL is free to return the rows of any other in any
order. It usually returns them in insertion order, which is what order-dependent tests
silently rely on.
"""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self):
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    year = models.IntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return self.title


class ArchivedBook(models.Model):
    """A copy of a book made by archive_books(); its id is assigned at copy time."""

    title = models.CharField(max_length=200)
    year = models.IntegerField()


class Job(models.Model):
    """A row of a work queue, picked with SELECT ... FOR UPDATE SKIP LOCKED."""

    name = models.CharField(max_length=100)
    done = models.BooleanField(default=False)
