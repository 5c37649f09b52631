"""The Organization table and the fixed vocabularies that describe it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.db import Base, utcnow

# The CERT tree: provincial CERTs sit beside sectoral CERTs, below the national CERT.
TIERS: dict[str, str] = {
    "national": "National CERT",
    "sectoral": "Sectoral CERT",
    "provincial": "Provincial CERT",
    "organizational": "Organisational CERT",
}

# The council also seats bodies that are not CERTs (ministries, the telecom regulator, one-year
# seats for industry, academia and civil society): they have a kind and no tier.
KINDS: dict[str, str] = {
    "cert": "CERT",
    "ministry": "Ministry or division",
    "regulator": "Regulator",
    "academia": "Academia",
    "industry": "Industry",
    "civil-society": "Civil society",
    "other": "Other",
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
        CheckConstraint(f"tier IS NULL OR {_in('tier', TIERS)}", name="tier"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        # A CERT has a tier; a body that is not a CERT has none.
        CheckConstraint("(kind = 'cert' AND tier IS NOT NULL) OR (kind <> 'cert' AND tier IS NULL)",
                        name="kind_tier"),
        CheckConstraint(f"sector IS NULL OR {_in('sector', SECTORS)}", name="sector"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # "@short-name" mentions the organisation (council/names.py makes it from the name).
    short_name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="cert", server_default="cert")
    tier: Mapped[str | None] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    @property
    def is_cert(self) -> bool:
        return self.kind == "cert"

    @property
    def tier_label(self) -> str:
        """The tier for a CERT, the kind for any other body."""
        return TIERS.get(self.tier, self.tier) if self.tier else KINDS.get(self.kind, self.kind)

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector, "") if self.sector else ""

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"
