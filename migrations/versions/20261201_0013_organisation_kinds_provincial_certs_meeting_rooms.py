"""organisation kinds (bodies that are not CERTs), provincial CERTs, meeting rooms

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

KINDS = "'cert', 'ministry', 'regulator', 'academia', 'industry', 'civil-society', 'other'"


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='cert', nullable=False))
        batch_op.alter_column('tier', existing_type=sa.String(length=20), nullable=True)
        batch_op.drop_constraint(op.f('ck_organizations_tier'), type_='check')
        batch_op.create_check_constraint(
            'tier', "tier IS NULL OR tier IN ('national', 'sectoral', 'provincial', 'organizational')")
        batch_op.create_check_constraint('kind', f"kind IN ({KINDS})")
        batch_op.create_check_constraint(
            'kind_tier', "(kind = 'cert' AND tier IS NOT NULL) OR (kind <> 'cert' AND tier IS NULL)")
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rooms_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('incident', 'exercise', 'meeting')")


def downgrade() -> None:
    op.execute("DELETE FROM rooms WHERE kind = 'meeting'")
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rooms_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('incident', 'exercise')")
    op.execute("UPDATE organizations SET tier = 'sectoral' WHERE tier = 'provincial'")
    op.execute("UPDATE organizations SET tier = 'organizational' WHERE tier IS NULL")
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organizations_kind_tier'), type_='check')
        batch_op.drop_constraint(op.f('ck_organizations_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_organizations_tier'), type_='check')
        batch_op.create_check_constraint('tier', "tier IN ('national', 'sectoral', 'organizational')")
        batch_op.alter_column('tier', existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column('kind')
