"""foundation: shared models

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade() -> None:
    op.create_table('app_secrets',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_secrets'))
    )
    op.create_table('callers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('surname', sa.String(length=40), nullable=True),
    sa.Column('title', sa.String(length=20), nullable=True),
    sa.Column('district', sa.String(length=60), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callers')),
    sa.UniqueConstraint('phone', name=op.f('uq_callers_phone'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('agent_code', sa.String(length=16), nullable=True),
    sa.Column('endpoint', sa.String(length=80), nullable=True),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('districts', sa.JSON(), nullable=False),
    sa.Column('locales', sa.JSON(), nullable=False),
    sa.Column('presence', sa.String(length=10), nullable=False),
    sa.Column('presence_since', sa.DateTime(), nullable=False),
    sa.Column('last_call_ended_at', sa.DateTime(), nullable=True),
    sa.Column('calls_handled', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('agent_code', name=op.f('uq_users_agent_code')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_users_token_hash'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_presence', ['presence', 'role'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('parent_call_sid', sa.String(length=64), nullable=True),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('from_number', sa.String(length=80), nullable=True),
    sa.Column('to_number', sa.String(length=80), nullable=True),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('menu_option', sa.String(length=20), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('queue_result', sa.String(length=30), nullable=True),
    sa.Column('answered_by', sa.String(length=30), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_calls_agent_id_users')),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_calls_caller_id_callers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_calls_call_sid'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_caller_id'), ['caller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_parent_call_sid'), ['parent_call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_started_at'), ['started_at'], unique=False)

    op.create_table('call_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_events_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events'))
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_events_call_id'), ['call_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('parent_case_id', sa.Integer(), nullable=True),
    sa.Column('caller_name', sa.String(length=80), nullable=True),
    sa.Column('contact_number', sa.String(length=32), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('district', sa.String(length=60), nullable=True),
    sa.Column('department', sa.String(length=60), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recording_url', sa.String(length=500), nullable=True),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('reply_due_at', sa.DateTime(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('work_order_returned_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_cases_assigned_to_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_cases_call_id_calls')),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_cases_caller_id_callers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cases_created_by_id_users')),
    sa.ForeignKeyConstraint(['parent_case_id'], ['cases.id'], name=op.f('fk_cases_parent_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('ref', name=op.f('uq_cases_ref'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_caller_id'), ['caller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('queue_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('queue_name', sa.String(length=64), nullable=False),
    sa.Column('skill', sa.String(length=20), nullable=True),
    sa.Column('district', sa.String(length=60), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('reassurances', sa.Integer(), nullable=False),
    sa.Column('last_announced_wait_s', sa.Float(), nullable=True),
    sa.Column('first_announced_wait_s', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_queue_entries_agent_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_queue_entries_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_entries'))
    )
    with op.batch_alter_table('queue_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_entries_call_id'), ['call_id'], unique=False)
        batch_op.create_index('ix_queue_entries_waiting', ['status', 'priority', 'joined_at'], unique=False)

    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('queue_entry_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=20), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('original_joined_at', sa.DateTime(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_callback_requests_agent_id_users')),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_callback_requests_caller_id_callers')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_callback_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['queue_entry_id'], ['queue_entries.id'], name=op.f('fk_callback_requests_queue_entry_id_queue_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_requests_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_status'))
        batch_op.drop_index(batch_op.f('ix_callback_requests_phone'))

    op.drop_table('callback_requests')
    with op.batch_alter_table('queue_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_entries_waiting')
        batch_op.drop_index(batch_op.f('ix_queue_entries_call_id'))

    op.drop_table('queue_entries')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index(batch_op.f('ix_cases_caller_id'))

    op.drop_table('cases')
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_events_call_id'))

    op.drop_table('call_events')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_started_at'))
        batch_op.drop_index(batch_op.f('ix_calls_parent_call_sid'))
        batch_op.drop_index(batch_op.f('ix_calls_caller_id'))
        batch_op.drop_index(batch_op.f('ix_calls_agent_id'))

    op.drop_table('calls')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_presence')

    op.drop_table('users')
    op.drop_table('callers')
    op.drop_table('app_secrets')
