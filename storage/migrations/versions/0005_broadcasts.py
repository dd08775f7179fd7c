"""Broadcast jobs (surveys, reminders, announcements) with a state, daytime-only sending and a
sender's claims; follow-up schedules.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=True),
    sa.Column('reminder_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['push_id'], ['survey_pushes.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reminder_id'], ['survey_pushes.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'survey_id', 'months', name='uq_follow_ups_participant_wave')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_follow_ups_state_due', ['state', 'due_at'], unique=False)

    with op.batch_alter_table('push_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=64), nullable=True))
        batch_op.drop_index('ix_push_recipients_status')
        batch_op.create_index('ix_push_recipients_push_status', ['push_id', 'status'], unique=False)
        batch_op.create_index('ix_push_recipients_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_recipients_wave'), ['wave'], unique=False)

    with op.batch_alter_table('survey_pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='survey'))
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='running'))
        batch_op.add_column(sa.Column('daytime', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('survey_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_survey_pushes_state'), ['state'], unique=False)

    # Earlier pushes: each recipient's wave is its push; a push with nobody left to send is done.
    op.execute("UPDATE push_recipients SET wave = push_id")
    op.execute(
        "UPDATE survey_pushes SET state = 'done', finished_at = created_at WHERE NOT EXISTS "
        "(SELECT 1 FROM push_recipients r WHERE r.push_id = survey_pushes.id "
        "AND r.status IN ('pending', 'sending'))"
    )



def downgrade() -> None:
    with op.batch_alter_table('survey_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_pushes_state'))
        batch_op.alter_column('survey_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('daytime')
        batch_op.drop_column('state')
        batch_op.drop_column('message')
        batch_op.drop_column('kind')

    with op.batch_alter_table('push_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_recipients_wave'))
        batch_op.drop_index('ix_push_recipients_status_id')
        batch_op.drop_index('ix_push_recipients_push_status')
        batch_op.create_index('ix_push_recipients_status', ['status'], unique=False)
        batch_op.drop_column('owner')
        batch_op.drop_column('wave')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_state_due')
        batch_op.drop_index(batch_op.f('ix_follow_ups_participant_id'))

    op.drop_table('follow_ups')
