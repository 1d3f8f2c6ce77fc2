"""Settings of the bookshop example: just enough Django to run the test suite.

The database comes from the usual libpq environment variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE); PGHOST may be a Unix-socket directory.

unorder_rows is switched per connection through libpq's `options`, the way you would in a
real project (the server must preload the library: shared_preload_libraries = 'unorder_rows'):

    UNORDER_ROWS=on|off      -> OPTIONS {"options": "-c unorder_rows.enabled=on"}
    UNORDER_ROWS_SEED=N      -> ... -c unorder_rows.seed=N   (replay the order of a failing run)

Without UNORDER_ROWS the server's setting applies (or PGOPTIONS', which is kept either way).
"""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECRET_KEY = "example-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = []
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = ["catalog"]
MIDDLEWARE = []
ROOT_URLCONF = "bookshop.urls"

# libpq reads PGOPTIONS only when no `options` is given: keep it in.
_flags = [os.environ["PGOPTIONS"]] if os.environ.get("PGOPTIONS") else []
if os.environ.get("UNORDER_ROWS"):
    _flags.append("-c unorder_rows.enabled=" + os.environ["UNORDER_ROWS"])
if os.environ.get("UNORDER_ROWS_SEED"):
    _flags.append("-c unorder_rows.seed=" + os.environ["UNORDER_ROWS_SEED"])

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "bookshop"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "HOST": os.environ.get("PGHOST", "localhost"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "OPTIONS": {"options": " ".join(_flags)} if _flags else {},
    }
}
