"""council governance: seats, meetings, minutes, crisis levels, decision types

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:22:41.477863
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Copied, not imported: a migration keeps the scale it shipped with.
DEFAULT_LEVELS = (
    (0, "Normal", "No national cyber crisis: routine operations.", False, None),
    (1, "Elevated", "A heightened threat or an incident of national interest: watch and share.", False, None),
    (2, "High", "A significant incident affecting several sectors: national coordination.", True, 720),
    (3, "Severe", "A major incident disrupting essential services: the council coordinates.", True, 240),
    (4, "Critical", "A national cyber crisis: all hands, continuous coordination.", True, 120),
)


def upgrade() -> None:
    op.create_table('crisis_levels',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('requires_room', sa.Boolean(), nullable=False),
    sa.Column('sitrep_cadence_min', sa.Integer(), nullable=True),
    sa.Column('notify_seats', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('level', name=op.f('pk_crisis_levels'))
    )
    op.create_table('council_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('office', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('created_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("office IN ('chair', 'secretary', 'member')", name=op.f('ck_council_seats_office')),
    sa.CheckConstraint('term_end IS NULL OR term_end >= term_start', name=op.f('ck_council_seats_term')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_council_seats_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_council_seats_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_seats'))
    )
    with op.batch_alter_table('council_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_seats_org_id'), ['org_id'], unique=False)

    op.create_table('council_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('starts_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('convened_by_id', sa.Integer(), nullable=False),
    sa.Column('convened_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('regular', 'extraordinary')", name=op.f('ck_council_meetings_kind')),
    sa.CheckConstraint("status IN ('convened', 'closed')", name=op.f('ck_council_meetings_status')),
    sa.ForeignKeyConstraint(['convened_by_id'], ['users.id'], name=op.f('fk_council_meetings_convened_by_id_users')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_council_meetings_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_meetings')),
    sa.UniqueConstraint('room_id', name=op.f('uq_council_meetings_room_id'))
    )
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_meetings_starts_at'), ['starts_at'], unique=False)

    op.create_table('council_seat_representatives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.CheckConstraint("role IN ('primary', 'alternate')", name=op.f('ck_council_seat_representatives_role')),
    sa.ForeignKeyConstraint(['seat_id'], ['council_seats.id'], name=op.f('fk_council_seat_representatives_seat_id_council_seats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_council_seat_representatives_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_seat_representatives')),
    sa.UniqueConstraint('seat_id', 'user_id', name=op.f('uq_council_seat_representatives_seat_id_user_id'))
    )
    with op.batch_alter_table('council_seat_representatives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_seat_representatives_seat_id'), ['seat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_council_seat_representatives_user_id'), ['user_id'], unique=False)

    op.create_table('council_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['council_meetings.id'], name=op.f('fk_council_agenda_items_meeting_id_council_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_agenda_items'))
    )
    with op.batch_alter_table('council_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_agenda_items_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('council_attendance',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['council_meetings.id'], name=op.f('fk_council_attendance_meeting_id_council_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_council_attendance_org_id_organizations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_council_attendance_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['seat_id'], ['council_seats.id'], name=op.f('fk_council_attendance_seat_id_council_seats')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_council_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'seat_id', name=op.f('pk_council_attendance'))
    )
    op.create_table('council_minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'proposed', 'adopted')", name=op.f('ck_council_minutes_status')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_council_minutes_decision_id_decisions')),
    sa.ForeignKeyConstraint(['meeting_id'], ['council_meetings.id'], name=op.f('fk_council_minutes_meeting_id_council_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_council_minutes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_council_minutes_meeting_id'))
    )
    op.create_table('crisis_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_room_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('previous_level', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ratify_by', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ratified_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ratified_by_decision_id', sa.Integer(), nullable=True),
    sa.Column('overdue_flagged_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('coordination_room_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['coordination_room_id'], ['rooms.id'], name=op.f('fk_crisis_changes_coordination_room_id_rooms')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_crisis_changes_decision_id_decisions')),
    sa.ForeignKeyConstraint(['exercise_room_id'], ['rooms.id'], name=op.f('fk_crisis_changes_exercise_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ratified_by_decision_id'], ['decisions.id'], name=op.f('fk_crisis_changes_ratified_by_decision_id_decisions')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_crisis_changes_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_changes'))
    )
    with op.batch_alter_table('crisis_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_changes_exercise_room_id'), ['exercise_room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_changes_ratify_by'), ['ratify_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_changes_set_at'), ['set_at'], unique=False)

    op.create_table('recommendation_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name=op.f('ck_recommendation_outcomes_status')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_recommendation_outcomes_decision_id_decisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_recommendation_outcomes_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_outcomes'))
    )
    with op.batch_alter_table('recommendation_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_outcomes_decision_id'), ['decision_id'], unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=16), server_default='operational', nullable=False))
        batch_op.add_column(sa.Column('addressee', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('addressee_org_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_decisions_type'), ['type'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_decisions_addressee_org_id_organizations'), 'organizations', ['addressee_org_id'], ['id'])
        batch_op.create_check_constraint('type', "type IN ('operational', 'recommendation', 'advice', 'crisis-level')")

    # The default national cyber-crisis scale, as data (council/governance/crisis.py).
    levels = sa.table('crisis_levels', sa.column('level', sa.Integer), sa.column('name', sa.String),
                      sa.column('description', sa.String), sa.column('requires_room', sa.Boolean),
                      sa.column('sitrep_cadence_min', sa.Integer), sa.column('notify_seats', sa.Boolean))
    op.bulk_insert(levels, [
        {"level": n, "name": name, "description": text, "requires_room": room, "sitrep_cadence_min": cadence,
         "notify_seats": True} for n, name, text, room, cadence in DEFAULT_LEVELS])


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_decisions_type'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_decisions_addressee_org_id_organizations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_decisions_type'))
        batch_op.drop_column('subject')
        batch_op.drop_column('level')
        batch_op.drop_column('addressee_org_id')
        batch_op.drop_column('addressee')
        batch_op.drop_column('type')

    with op.batch_alter_table('recommendation_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_outcomes_decision_id'))

    op.drop_table('recommendation_outcomes')
    with op.batch_alter_table('crisis_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_changes_set_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_changes_ratify_by'))
        batch_op.drop_index(batch_op.f('ix_crisis_changes_exercise_room_id'))

    op.drop_table('crisis_changes')
    op.drop_table('council_minutes')
    op.drop_table('council_attendance')
    with op.batch_alter_table('council_agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_agenda_items_meeting_id'))

    op.drop_table('council_agenda_items')
    with op.batch_alter_table('council_seat_representatives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_seat_representatives_user_id'))
        batch_op.drop_index(batch_op.f('ix_council_seat_representatives_seat_id'))

    op.drop_table('council_seat_representatives')
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_meetings_starts_at'))

    op.drop_table('council_meetings')
    with op.batch_alter_table('council_seats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_seats_org_id'))

    op.drop_table('council_seats')
    op.drop_table('crisis_levels')
