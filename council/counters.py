"""Yearly reference numbers (INC-2026-0001, ADV-2026-0001) from a counter row per year."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


def next_number(session: Session, counter_model: Any, year: int) -> int:
    """The year's next number, under the counter row's lock (SQLite: its one writer).
    ``counter_model`` is a table with ``year`` (primary key) and ``last``."""
    if session.get_bind().dialect.name == "sqlite":
        counter = session.get(counter_model, year)
        if counter is None:
            counter = counter_model(year=year, last=0)
            session.add(counter)
    else:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        # Two first numbers of a year may race to create the row: one insert wins, both then lock it.
        session.execute(pg_insert(counter_model).values(year=year, last=0).on_conflict_do_nothing())
        counter = session.scalars(select(counter_model).where(counter_model.year == year)
                                  .with_for_update().execution_options(populate_existing=True)).one()
    counter.last += 1
    return int(counter.last)
