"""scheduler: campaigns, contacts, attempts (exactly-once dialing), do-not-call list,
follow-up rules and alerts (H14-H17), the leader lease, APScheduler's job store table

Revision ID: scheduler_0001
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0001"
down_revision = "0001"
branch_labels = ("scheduler",)
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('acquired_at', sa.DateTime(), nullable=True),
    sa.Column('renewed_at', sa.DateTime(), nullable=True),
    sa.Column('fencing', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('scheduler_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('script', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('voicemail_text', sa.Text(), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=True),
    sa.Column('cron', sa.String(length=120), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('window', sa.String(length=16), nullable=True),
    sa.Column('weekdays', sa.JSON(), nullable=True),
    sa.Column('calls_per_second', sa.Float(), nullable=False),
    sa.Column('max_concurrent', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('retry_backoff_s', sa.Float(), nullable=False),
    sa.Column('retry_backoff_factor', sa.Float(), nullable=False),
    sa.Column('ring_timeout_s', sa.Integer(), nullable=False),
    sa.Column('machine_detection', sa.Boolean(), nullable=False),
    sa.Column('agent_code', sa.String(length=16), nullable=True),
    sa.Column('agent_surname', sa.String(length=20), nullable=True),
    sa.Column('system_rule', sa.String(length=16), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('next_slot_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scheduler_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_campaigns')),
    sa.UniqueConstraint('system_rule', name=op.f('uq_scheduler_campaigns_system_rule'))
    )
    op.create_index(op.f('ix_scheduler_campaigns_next_run_at'), 'scheduler_campaigns', ['next_run_at'], unique=False)
    op.create_index(op.f('ix_scheduler_campaigns_status'), 'scheduler_campaigns', ['status'], unique=False)
    op.create_table('scheduler_dnc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_scheduler_dnc_added_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_dnc')),
    sa.UniqueConstraint('phone', name=op.f('uq_scheduler_dnc_phone'))
    )
    op.create_table('scheduler_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=8), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('message', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_scheduler_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_scheduler_alerts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_alerts'))
    )
    op.create_index(op.f('ix_scheduler_alerts_case_id'), 'scheduler_alerts', ['case_id'], unique=False)
    op.create_index(op.f('ix_scheduler_alerts_created_at'), 'scheduler_alerts', ['created_at'], unique=False)
    op.create_table('scheduler_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('title', sa.String(length=40), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('case_ref', sa.String(length=24), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.String(length=240), nullable=True),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['scheduler_campaigns.id'], name=op.f('fk_scheduler_contacts_campaign_id_scheduler_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_scheduler_contacts_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_contacts')),
    sa.UniqueConstraint('campaign_id', 'phone', 'case_id', name='uq_scheduler_contacts_campaign_phone')
    )
    op.create_index(op.f('ix_scheduler_contacts_case_id'), 'scheduler_contacts', ['case_id'], unique=False)
    op.create_index('ix_scheduler_contacts_due', 'scheduler_contacts', ['campaign_id', 'status', 'next_attempt_at'], unique=False)
    op.create_table('scheduler_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('holder', sa.String(length=80), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=240), nullable=True),
    sa.Column('answered_by', sa.String(length=30), nullable=True),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('slot_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('dialed_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['scheduler_campaigns.id'], name=op.f('fk_scheduler_attempts_campaign_id_scheduler_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['scheduler_contacts.id'], name=op.f('fk_scheduler_attempts_contact_id_scheduler_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_attempts')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_scheduler_attempts_call_sid')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_scheduler_attempts_idempotency_key'))
    )
    op.create_index(op.f('ix_scheduler_attempts_campaign_id'), 'scheduler_attempts', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_scheduler_attempts_contact_id'), 'scheduler_attempts', ['contact_id'], unique=False)
    op.create_index(op.f('ix_scheduler_attempts_status'), 'scheduler_attempts', ['status'], unique=False)
    op.create_table('scheduler_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=8), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_scheduler_followups_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['scheduler_contacts.id'], name=op.f('fk_scheduler_followups_contact_id_scheduler_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_followups')),
    sa.UniqueConstraint('rule', 'case_id', 'key', name='uq_scheduler_followups_rule_case_key')
    )
    op.create_index(op.f('ix_scheduler_followups_case_id'), 'scheduler_followups', ['case_id'], unique=False)
    # APScheduler 3's SQLAlchemyJobStore table (tablename set in scheduler.runner.JOBS_TABLE).
    op.create_table('scheduler_apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_apscheduler_jobs'))
    )
    op.create_index(op.f('ix_scheduler_apscheduler_jobs_next_run_time'), 'scheduler_apscheduler_jobs', ['next_run_time'], unique=False)


def downgrade() -> None:
    op.drop_table('scheduler_followups')
    op.drop_table('scheduler_attempts')
    op.drop_table('scheduler_contacts')
    op.drop_table('scheduler_alerts')
    op.drop_table('scheduler_dnc')
    op.drop_table('scheduler_campaigns')
    op.drop_table('scheduler_lease')
    op.drop_table('scheduler_apscheduler_jobs')
