"""directory: team records (FIRST's fields), duty rosters, communication checks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('comms_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('starter_org_id', sa.Integer(), nullable=False),
    sa.Column('as_secretary', sa.Boolean(), nullable=False),
    sa.Column('started_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_comms_checks_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_comms_checks_closed_by_id_users')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_comms_checks_started_by_id_users')),
    sa.ForeignKeyConstraint(['starter_org_id'], ['organizations.id'], name=op.f('fk_comms_checks_starter_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_checks'))
    )
    with op.batch_alter_table('comms_checks', schema=None) as batch_op:
        batch_op.create_index('ix_comms_checks_due', ['status', 'closes_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_checks_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_checks_starter_org_id'), ['starter_org_id'], unique=False)

    op.create_table('duty_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_duty_shifts_span')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_duty_shifts_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_duty_shifts_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_shifts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_duty_shifts_org_time', ['org_id', 'ends_at', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_user_id'), ['user_id'], unique=False)

    op.create_table('team_records',
    sa.Column('org_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('short_team_name', sa.String(length=100), nullable=False),
    sa.Column('official_team_name', sa.String(length=300), nullable=False),
    sa.Column('postal_address', sa.Text(), nullable=False),
    sa.Column('country_codes', sa.Text(), nullable=False),
    sa.Column('additional_country_codes', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('websites', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('host', sa.String(length=300), nullable=False),
    sa.Column('establishment', sa.Date(), nullable=True),
    sa.Column('phone_numbers', sa.Text(), nullable=False),
    sa.Column('emergency_phone', sa.String(length=40), nullable=False),
    sa.Column('enckeys', sa.Text(), nullable=False),
    sa.Column('hours_text', sa.Text(), nullable=False),
    sa.Column('hours', sa.Text(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('constituency', sa.String(length=300), nullable=False),
    sa.Column('constituency_code', sa.String(length=40), nullable=False),
    sa.Column('constituency_description', sa.Text(), nullable=False),
    sa.Column('first_member_type', sa.String(length=40), nullable=False),
    sa.Column('cert_types', sa.Text(), nullable=False),
    sa.Column('languages', sa.Text(), nullable=False),
    sa.Column('preferred_language', sa.String(length=8), nullable=False),
    sa.Column('contacts', sa.Text(), nullable=False),
    sa.Column('updated_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_team_records_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_team_records_updated_by_id_users')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_team_records'))
    )
    op.create_table('comms_check_orgs',
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('told', sa.Integer(), nullable=False),
    sa.Column('answer_token', sa.String(length=64), nullable=False),
    sa.Column('answered_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("via IN ('duty', 'contacts', 'members', 'nobody')", name=op.f('ck_comms_check_orgs_via')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_comms_check_orgs_answered_by_id_users')),
    sa.ForeignKeyConstraint(['check_id'], ['comms_checks.id'], name=op.f('fk_comms_check_orgs_check_id_comms_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_comms_check_orgs_org_id_organizations')),
    sa.PrimaryKeyConstraint('check_id', 'org_id', name=op.f('pk_comms_check_orgs'))
    )
    with op.batch_alter_table('comms_check_orgs', schema=None) as batch_op:
        batch_op.create_index('ix_comms_check_orgs_org', ['org_id', 'answered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comms_check_orgs', schema=None) as batch_op:
        batch_op.drop_index('ix_comms_check_orgs_org')

    op.drop_table('comms_check_orgs')
    op.drop_table('team_records')
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_shifts_user_id'))
        batch_op.drop_index('ix_duty_shifts_org_time')

    op.drop_table('duty_shifts')
    with op.batch_alter_table('comms_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comms_checks_starter_org_id'))
        batch_op.drop_index(batch_op.f('ix_comms_checks_started_at'))
        batch_op.drop_index('ix_comms_checks_due')

    op.drop_table('comms_checks')
