"""indicators of incident reports: an indicator belongs to a room or to an incident

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.alter_column('room_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_indicators_incident_id_incidents'), 'incidents', ['incident_id'],
                                    ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_indicators_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('uq_indicators_incident_type_value', ['incident_id', 'type', 'value'], unique=True)
        batch_op.create_check_constraint(batch_op.f('ck_indicators_owner'), '(room_id IS NULL) <> (incident_id IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM indicators WHERE incident_id IS NOT NULL")
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_indicators_owner'), type_='check')
        batch_op.drop_index('uq_indicators_incident_type_value')
        batch_op.drop_index(batch_op.f('ix_indicators_incident_id'))
        batch_op.drop_constraint(batch_op.f('fk_indicators_incident_id_incidents'), type_='foreignkey')
        batch_op.alter_column('room_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('incident_id')
