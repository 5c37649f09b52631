"""audit anchors: the anchor schedule's clock; outbox mail to an address outside the platform

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 19:22:41.979145
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import council.db

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_anchor_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('next_at', council.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', council.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchor_clock'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        # Existing rows are all to people: an empty address and text.
        batch_op.add_column(sa.Column('to_address', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('body_text', sa.Text(), nullable=False, server_default=''))
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_mail_outbox_recipient'), "user_id IS NOT NULL OR to_address <> ''")


def downgrade() -> None:
    op.execute("DELETE FROM mail_outbox WHERE user_id IS NULL")
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mail_outbox_recipient'), type_='check')
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('body_text')
        batch_op.drop_column('to_address')

    op.drop_table('audit_anchor_clock')
