"""The whole demo seeds on PostgreSQL: every slice's write path (filing and reviewing
incident reports, acknowledging advisories, decisions, exercises) runs there as on
SQLite — the row locks included (FOR UPDATE OF the locked table: PostgreSQL refuses
FOR UPDATE on the nullable side of the outer joins that eager relations add)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from council import create_app
from council.advisories.models import AdvisoryDelivery
from council.audit.services import verify
from council.extensions import database
from council.reporting.models import IncidentStage
from tests.scale.conftest import SECRET


def test_the_demo_seeds_on_postgresql_and_its_record_verifies(pg_url: str, tmp_path: Path):
    app = create_app({"COUNCIL_DATABASE_URL": pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})
    result = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert result.exit_code == 0, result.output
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(IncidentStage).where(
            IncidentStage.status == "accepted")) > 0
        acked = select(func.count()).select_from(AdvisoryDelivery).where(AdvisoryDelivery.acked_at.is_not(None))
        assert s.scalar(acked) > 0
        assert verify(s).ok
    database(app).dispose()
