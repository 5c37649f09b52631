"""evidence files: attached to rooms, incidents (and indicators), stored by hash outside the database

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:59:56.284097
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')", name=op.f('ck_evidence_files_tlp')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_evidence_files_sha256')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_evidence_files_size')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_evidence_files_org_id_organizations')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_evidence_files_room_id_rooms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_files_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_evidence_files_subject', ['subject_kind', 'subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_files_subject')
        batch_op.drop_index(batch_op.f('ix_evidence_files_sha256'))
        batch_op.drop_index(batch_op.f('ix_evidence_files_room_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_files_org_id'))

    op.drop_table('evidence_files')
