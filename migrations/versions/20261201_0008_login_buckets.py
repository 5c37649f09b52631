"""login buckets: failed sign-ins per account and address (nobody locks another out)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_buckets',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_buckets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'address', name=op.f('pk_login_buckets'))
    )
    # Locks of the old per-account rule would otherwise hold until they expire.
    op.execute("UPDATE users SET locked_until = NULL")


def downgrade() -> None:
    op.drop_table('login_buckets')
