"""room reads: how far each person has read each room (unread counts)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('room_reads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_reads_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_room_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'room_id', name=op.f('pk_room_reads'))
    )
    with op.batch_alter_table('room_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_reads_room_id'), ['room_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('room_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_reads_room_id'))
    op.drop_table('room_reads')
