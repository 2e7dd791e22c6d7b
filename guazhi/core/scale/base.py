"""What every part of the generator shares: the sizes, the run's context (random stream,
today, the run's tag, the rows made so far), bulk writing and a few small helpers."""

from __future__ import annotations

import base64
import math
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.db import connection, models
from django.utils import timezone

# Rows per INSERT statement (SQLite's limit on variables per statement caps it lower by
# itself: Django's bulk_batch_size).
BATCH = 5000
# Model instances built before they are written: keeps memory flat whatever the size.
CHUNK = 50_000


@dataclass
class Sizes:
    """How much to generate. The defaults are a province's scale (issue 10)."""

    cadres: int = 20_000
    batches: int = 200
    projects: int = 20_000
    stage_changes: int = 200_000
    records: int = 1_000_000
    deeds: int = 50_000
    ratings: int = 500_000

    def scaled(self, factor: float) -> Sizes:
        values = {f.name: max(1, round(getattr(self, f.name) * factor)) for f in fields(self)}
        return Sizes(**values)

    def check(self) -> list[str]:
        """Problems with the sizes, in Chinese (empty when they can be generated)."""
        problems = []
        for f in fields(self):
            if getattr(self, f.name) < 1:
                problems.append(f"--{f.name.replace('_', '-')} 须至少为 1")
        if self.stage_changes < self.projects:
            problems.append(
                "--stage-changes 不能少于 --projects：每个项目至少有一条“登记线索”的阶段记录"
            )
        return problems


SIZE_NAMES = [f.name for f in fields(Sizes)]


@dataclass
class Context:
    """The run: its random stream, today, the tag that keeps its codes and user names apart
    from other data, and the rows each phase hands to the next."""

    rng: random.Random
    today: date
    run: int
    sizes: Sizes
    # Filled phase by phase (people → programmes → records / projects / deeds).
    root: object = None
    districts: list = field(default_factory=list)  # District (people.py)
    sending_units: list = field(default_factory=list)
    unit_staff: dict = field(default_factory=dict)  # unit id → User
    officers: dict = field(default_factory=dict)  # username → User
    cadres: list = field(default_factory=list)
    placements: list = field(default_factory=list)
    programmes: list = field(default_factory=list)
    batches: list = field(default_factory=list)
    leader_of: dict = field(default_factory=dict)  # batch id → team leader (User)
    enterprises: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    timer: object = None

    @property
    def prefix(self) -> str:
        """Unit codes and user names of this run start with it (SC1-, sc1_)."""
        return f"SC{self.run}"

    @property
    def user_prefix(self) -> str:
        return f"sc{self.run}_"

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write(model: type[models.Model], objs: Iterable, ctx: Context | None = None) -> list:
    """bulk_create in statements of BATCH rows; returns the rows (with primary keys: both
    PostgreSQL and SQLite ≥ 3.35 return them)."""
    rows = list(objs)
    if rows:
        model.objects.bulk_create(rows, batch_size=BATCH)
    if ctx is not None:
        ctx.add(model._meta.label, len(rows))
    return rows


def stream(model: type[models.Model], objs: Iterable, ctx: Context) -> int:
    """Write a large generator of rows chunk by chunk without keeping them."""
    total = 0
    for batch in chunks(objs):
        model.objects.bulk_create(batch, batch_size=BATCH)
        total += len(batch)
    ctx.add(model._meta.label, total)
    return total


def insert(model: type[models.Model], columns: list[str], rows: Iterable[tuple], ctx) -> int:
    """The fast path for the large tables whose primary keys nobody needs right away: plain
    tuples (in `columns` order, every column but the primary key) written with COPY on
    PostgreSQL and executemany on SQLite — no model instance per row, none of SQLite's 999
    variables per statement. Values must already be what the field stores (aware datetimes,
    dates, Decimals, attnames for foreign keys); auto_now fields are not filled."""
    expected = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
    if set(columns) != expected:
        raise ValueError(f"{model._meta.label}: columns {sorted(expected ^ set(columns))}")
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
                    total += 1
        else:
            fields = {f.attname: f for f in model._meta.concrete_fields}
            adapt = []
            for i, name in enumerate(columns):
                kind = fields[name].get_internal_type()
                if kind == "DateTimeField":
                    adapt.append((i, connection.ops.adapt_datetimefield_value))
                elif kind == "DateField":
                    adapt.append((i, connection.ops.adapt_datefield_value))
                elif kind == "DecimalField":
                    adapt.append((i, str))
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"  # noqa: S608 (names from the model)
            for batch in chunks(rows):
                if adapt:
                    batch = [list(r) for r in batch]
                    for r in batch:
                        for i, fn in adapt:
                            if r[i] is not None:
                                r[i] = fn(r[i])
                cursor.executemany(sql, batch)
                total += len(batch)
    ctx.add(model._meta.label, total)
    return total


@contextmanager
def dated(*model_fields: tuple[type[models.Model], str]):
    """Let bulk_create keep the historical timestamps we give (a rating given two years ago
    was created two years ago) instead of auto_now/auto_now_add's "now"."""
    saved = []
    for model, name in model_fields:
        f = model._meta.get_field(name)
        saved.append((f, f.auto_now, f.auto_now_add))
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def at(day: date, rng: random.Random, start_hour: int = 8, end_hour: int = 21) -> datetime:
    """An aware datetime during office-ish hours of `day` (never after now when generating
    up to today: see `ceiling`)."""
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    naive = datetime.combine(day, dtime(seconds // 3600, seconds // 60 % 60, seconds % 60))
    value = timezone.make_aware(naive)
    return value if _ceiling is None or value <= _ceiling else _ceiling


_ceiling: datetime | None = None


@contextmanager
def ceiling(today: date):
    """While generating with today's date, timestamps stop at the present moment; with
    another "today" (--today) they follow that day's calendar alone."""
    global _ceiling
    saved = _ceiling
    _ceiling = timezone.now() if today == timezone.localdate() else None
    try:
        yield
    finally:
        _ceiling = saved


def token(rng: random.Random, nbytes: int) -> str:
    """A URL-safe token like secrets.token_urlsafe(nbytes), from the run's stream."""
    return base64.urlsafe_b64encode(rng.randbytes(nbytes)).rstrip(b"=").decode()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


def working_days(start: date, end: date) -> list[date]:
    """Monday–Friday dates in [start, end] (the records' rhythm; holidays do not matter for
    generated data)."""
    out = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` that sum to exactly `total`
    (largest remainders)."""
    if not weights:
        return []
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    out = [math.floor(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


class Timer:
    """Wall time per phase, printed as it goes."""

    def __init__(self, write_line):
        self.write_line = write_line
        self.phases: list[tuple[str, float]] = []
        self.started = time.perf_counter()

    @contextmanager
    def phase(self, name: str):
        t0 = time.perf_counter()
        yield
        elapsed = time.perf_counter() - t0
        self.phases.append((name, elapsed))
        self.write_line(f"  {name:<34}{elapsed:8.1f} s")

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started
