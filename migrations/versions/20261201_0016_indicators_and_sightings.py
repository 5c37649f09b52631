"""indicators and sightings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

VALUE = sa.String(length=2048).with_variant(sa.String(length=2048, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('value', VALUE, nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('first_seen', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source_org_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('retired_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=120), nullable=True),
    sa.CheckConstraint("type IN ('ipv4', 'ipv6', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', "
                       "'file_name', 'cve', 'asn', 'registry_key', 'user_agent', 'other')",
                       name=op.f('ck_indicators_type')),
    sa.CheckConstraint("status IN ('active', 'retired')", name=op.f('ck_indicators_status')),
    sa.CheckConstraint("tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')", name=op.f('ck_indicators_tlp')),
    sa.CheckConstraint('confidence IS NULL OR (confidence >= 0 AND confidence <= 100)',
                       name=op.f('ck_indicators_confidence')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_indicators_created_by_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_indicators_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_org_id'], ['organizations.id'],
                            name=op.f('fk_indicators_source_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators'))
    )
    op.create_index('ix_indicators_type_value', 'indicators', ['type', 'value'], unique=False)
    op.create_index('uq_indicators_room_type_value', 'indicators', ['room_id', 'type', 'value'], unique=True)
    op.create_index(op.f('ix_indicators_value'), 'indicators', ['value'], unique=False)
    op.create_table('indicator_sightings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('created_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 1', name=op.f('ck_indicator_sightings_count')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                            name=op.f('fk_indicator_sightings_indicator_id_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                            name=op.f('fk_indicator_sightings_org_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_indicator_sightings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_sightings'))
    )
    op.create_index(op.f('ix_indicator_sightings_indicator_id'), 'indicator_sightings', ['indicator_id'], unique=False)
    op.create_index(op.f('ix_indicator_sightings_org_id'), 'indicator_sightings', ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_indicator_sightings_org_id'), table_name='indicator_sightings')
    op.drop_index(op.f('ix_indicator_sightings_indicator_id'), table_name='indicator_sightings')
    op.drop_table('indicator_sightings')
    op.drop_index(op.f('ix_indicators_value'), table_name='indicators')
    op.drop_index('uq_indicators_room_type_value', table_name='indicators')
    op.drop_index('ix_indicators_type_value', table_name='indicators')
    op.drop_table('indicators')
