"""The Organization table and the fixed vocabularies that describe it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.db import Base, utcnow

TIERS: dict[str, str] = {
    "national": "National CERT",
    "sectoral": "Sectoral CERT",
    "organizational": "Organisational CERT",
}

SECTORS: dict[str, str] = {
    "banking-finance": "Banking & finance",
    "telecom": "Telecommunications",
    "energy": "Energy",
    "health": "Health",
    "government": "Government",
    "transport": "Transport",
    "water": "Water",
    "ict": "ICT",
    "education": "Education",
    "defence-industry": "Defence industry",
    "other": "Other",
}


def _in(column: str, values: dict[str, str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(_in("tier", TIERS), name="tier"),
        CheckConstraint(f"sector IS NULL OR {_in('sector', SECTORS)}", name="sector"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # "@short-name" mentions the organisation (council/names.py makes it from the name).
    short_name: Mapped[str] = mapped_column(String(40), unique=True)
    tier: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    @property
    def tier_label(self) -> str:
        return TIERS.get(self.tier, self.tier)

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector, "") if self.sector else ""

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"
