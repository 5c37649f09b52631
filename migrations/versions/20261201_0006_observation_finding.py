"""observations: finding (strength or area for improvement), whatever the rating

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

Existing observations are filed as their rating suggests: P and S as
strengths, M and U as areas for improvement (what the report drafts did).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exercise_observations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finding', sa.String(length=12), server_default='strength', nullable=False))
        batch_op.create_check_constraint(op.f('ck_exercise_observations_finding'),
                                         "finding IN ('strength', 'improvement')")
    op.execute("UPDATE exercise_observations SET finding = 'improvement' WHERE rating IN ('M', 'U')")


def downgrade() -> None:
    with op.batch_alter_table('exercise_observations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_exercise_observations_finding'), type_='check')
        batch_op.drop_column('finding')
