"""Every connection the tests open gets unorder_rows' settings, and its reports are collected.

Three ways in, because clients connect in different ways:
- PGOPTIONS, read by libpq at connect time (any libpq client, psql run by a test included);
- the connect functions of psycopg2 and psycopg (3), wrapped so that the settings are merged
  into an explicit ``options`` parameter as well (libpq ignores PGOPTIONS when one is given,
  as Django does with OPTIONS['options']) and the report notices of the connection are
  collected;
- Django's connection settings (``OPTIONS['options']``), for connections Django opens later.

A change of state (a test marked ``unorder_rows(False)``, the confirmation reruns) is applied
to live connections with set_config() and to the three ways in for new ones.
"""
import os
import re
import sys
import weakref
from dataclasses import dataclass
from typing import Callable, List, Optional

from .notices import Statement, parse, parse_libpq_text

_OUR_OPTION = re.compile(r"\s*-c\s*unorder_rows(?:\.[a-z_]+)?=\S*|\s*-c\s*session_preload_libraries=unorder_rows\b")


@dataclass
class State:
    """What every connection should have."""

    enabled: bool
    seed: int
    load_library: bool = False

    def options(self) -> str:
        """libpq ``options`` for a new connection."""
        flags = []
        if self.load_library:
            flags.append("-c session_preload_libraries=unorder_rows")
        flags.append(f"-c unorder_rows.enabled={'on' if self.enabled else 'off'}")
        flags.append(f"-c unorder_rows.seed={self.seed}")
        flags.append("-c unorder_rows.report=notice")
        return " ".join(flags)


def merge_options(existing: Optional[str], ours: str) -> str:
    """``existing`` without earlier settings of ours, followed by ``ours``."""
    rest = _OUR_OPTION.sub("", existing or "").strip()
    return f"{rest} {ours}".strip()


class Connections:
    """The live connections, the state they should have and where their reports go."""

    def __init__(self, state: State, on_statement: Callable[[Statement], None]):
        self.state = state
        self.on_statement = on_statement
        self.live: "weakref.WeakSet" = weakref.WeakSet()
        self.not_loaded: Optional[str] = None
        self._saved_pgoptions = os.environ.get("PGOPTIONS")
        self._undo: List[Callable[[], None]] = []

    # -- state ---------------------------------------------------------------------------

    def apply(self, state: State) -> None:
        """Make ``state`` hold for new connections and, where possible, live ones."""
        changed = state != self.state
        self.state = state
        os.environ["PGOPTIONS"] = merge_options(self._saved_pgoptions, state.options())
        self._apply_django()
        if changed:
            for conn in list(self.live):
                _set_on_live_connection(conn, state)

    def _apply_django(self) -> None:
        django_db = sys.modules.get("django.db")
        settings = sys.modules.get("django.conf")
        if django_db is None or settings is None or not settings.settings.configured:
            return
        try:
            handlers = [django_db.connections[alias] for alias in django_db.connections]
        except Exception:  # noqa: BLE001 - Django not set up (yet): its settings come later
            return
        for handler in handlers:
            if handler.vendor != "postgresql":
                continue
            options = handler.settings_dict.setdefault("OPTIONS", {})
            options["options"] = merge_options(options.get("options"), self.state.options())

    # -- drivers -------------------------------------------------------------------------

    def install(self) -> None:
        """Wrap the connect functions of the PostgreSQL drivers that are importable."""
        os.environ["PGOPTIONS"] = merge_options(self._saved_pgoptions, self.state.options())
        try:
            import psycopg2
        except ImportError:
            pass
        else:
            self._wrap(psycopg2, "connect", self._psycopg2_connect)
        try:
            import psycopg
        except ImportError:
            pass
        else:
            self._wrap_classmethod(psycopg.Connection, "connect", self._psycopg_connect)
            self._wrap_classmethod(psycopg.AsyncConnection, "connect", self._psycopg_async_connect)
            # psycopg.connect is Connection.connect bound at import time
            self._wrap(psycopg, "connect", lambda _: lambda *a, **k: psycopg.Connection.connect(*a, **k))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()
        if self._saved_pgoptions is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = self._saved_pgoptions

    def _wrap(self, module, name, make):
        original = getattr(module, name)
        setattr(module, name, make(original))
        self._undo.append(lambda: setattr(module, name, original))

    def _wrap_classmethod(self, cls, name, make):
        original = cls.__dict__[name]
        bound = original.__func__
        wrapped = make(bound)
        setattr(cls, name, classmethod(wrapped))
        self._undo.append(lambda: setattr(cls, name, original))

    def _psycopg2_connect(self, original):
        connections = self

        def connect(dsn=None, connection_factory=None, cursor_factory=None, **kwargs):
            from psycopg2.extensions import make_dsn, parse_dsn

            asynchronous = {k: kwargs.pop(k) for k in ("async", "async_") if k in kwargs}
            params = parse_dsn(make_dsn(dsn, **kwargs)) if (dsn or kwargs) else {}
            params["options"] = merge_options(params.get("options") or os.environ.get("PGOPTIONS"),
                                              connections.state.options())
            conn = original(make_dsn(**params), connection_factory=connection_factory,
                            cursor_factory=cursor_factory, **asynchronous)
            conn.notices = _Psycopg2Notices(connections.on_statement)
            if not any(asynchronous.values()):  # an async connection is not ready to query yet
                connections._register(conn, conn.get_dsn_parameters())
            return conn

        return connect

    def _psycopg_connect(self, original):
        connections = self

        def connect(cls, conninfo="", **kwargs):
            conninfo, extra = connections._psycopg_arguments(conninfo, kwargs)
            conn = original(cls, conninfo, **extra)
            conn.add_notice_handler(_psycopg_notice_handler(connections.on_statement))
            connections._register(conn, conn.info.get_parameters())
            return conn

        return connect

    def _psycopg_arguments(self, conninfo, kwargs):
        """psycopg's connect() arguments with our settings merged into ``options``."""
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(make_conninfo(conninfo, **{k: v for k, v in kwargs.items()
                                                              if k not in _PSYCOPG_ARGS}))
        params["options"] = merge_options(params.get("options") or os.environ.get("PGOPTIONS"),
                                          self.state.options())
        return make_conninfo(**params), {k: v for k, v in kwargs.items() if k in _PSYCOPG_ARGS}

    def _psycopg_async_connect(self, original):
        """Settings and notices; live switching needs a synchronous connection, so not that."""
        connections = self

        async def connect(cls, conninfo="", **kwargs):
            conninfo, extra = connections._psycopg_arguments(conninfo, kwargs)
            conn = await original(cls, conninfo, **extra)
            conn.add_notice_handler(_psycopg_notice_handler(connections.on_statement))
            return conn

        return connect

    def _register(self, conn, where) -> None:
        """Keep a connection whose session has the library, remember one that has not."""
        if current_setting(conn, "unorder_rows") is not None:
            self.live.add(conn)
        elif self.not_loaded is None:
            where = {k: v for k, v in dict(where).items() if k in ("host", "port", "dbname", "user")}
            self.not_loaded = " ".join(f"{k}={v}" for k, v in sorted(where.items()))


# Keyword arguments of psycopg.Connection.connect that are not connection parameters.
_PSYCOPG_ARGS = {"autocommit", "prepare_threshold", "row_factory", "cursor_factory", "context"}


class _Psycopg2Notices:
    """Stands in for psycopg2's connection.notices list: parse each notice as it arrives."""

    def __init__(self, on_statement):
        self.on_statement = on_statement
        self.others: List[str] = []

    def append(self, notice: str) -> None:
        statement = parse_libpq_text(notice)
        if statement is not None:
            self.on_statement(statement)
        else:
            self.others.append(notice)
            del self.others[:-50]  # psycopg2 keeps the last 50 too

    def __iter__(self):
        return iter(self.others)

    def __len__(self):
        return len(self.others)


def _psycopg_notice_handler(on_statement):
    def handle(diagnostic) -> None:
        statement = parse(diagnostic.message_primary or "", diagnostic.message_detail)
        if statement is not None:
            on_statement(statement)

    return handle


def _idle(conn) -> Optional[bool]:
    """True if idle, False if in a transaction, None if closed or broken."""
    if getattr(conn, "closed", False):
        return None
    if hasattr(conn, "get_transaction_status"):  # psycopg2
        from psycopg2.extensions import (TRANSACTION_STATUS_IDLE,
                                         TRANSACTION_STATUS_INTRANS)

        status = conn.get_transaction_status()
        return True if status == TRANSACTION_STATUS_IDLE else (False if status == TRANSACTION_STATUS_INTRANS else None)
    from psycopg.pq import TransactionStatus

    status = conn.info.transaction_status
    return True if status == TransactionStatus.IDLE else (False if status == TransactionStatus.INTRANS else None)


def _run(conn, sql: str, params=()):
    """Run one statement on a connection without leaving a transaction open that was not."""
    idle = _idle(conn)
    if idle is None:
        return None
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        row = cur.fetchone()
    finally:
        cur.close()
    if idle and not conn.autocommit:
        conn.commit()
    return row


def current_setting(conn, name: str) -> Optional[str]:
    row = _run(conn, "SELECT current_setting(%s, true)", (name,))
    return row[0] if row else None


def _set_on_live_connection(conn, state: State) -> None:
    """SET the state in a live session (inside a transaction it lasts until that ends)."""
    try:
        _run(conn, "SELECT set_config('unorder_rows', %s, false), set_config('unorder_rows.seed', %s, false)",
             ("on" if state.enabled else "off", str(state.seed)))
    except Exception:  # noqa: BLE001 - a broken connection keeps its state; the test will say why
        pass
