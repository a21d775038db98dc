"""The report's wrap-up results: the calls agents took, counted by the disposition code they
gave (configured order, labels in both languages, ``-`` for none), on the page and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from core.models import Call

RANGE = {"from": "2026-11-20", "to": "2026-11-20"}


def test_wrap_up_results_by_code_on_the_page_and_in_the_csv(lead_client, seeded, db):
    client, _ = lead_client
    day = (datetime(2026, 11, 19, 16), datetime(2026, 11, 20, 16))  # 2026-11-20 in Asia/Shanghai, as UTC
    taken = list(db.scalars(select(Call).where(Call.answered_at.is_not(None), Call.agent_id.is_not(None),
                                               Call.started_at >= day[0], Call.started_at < day[1])
                            .order_by(Call.id)))
    assert len(taken) >= 3
    taken[0].disposition = "complaint"
    taken[1].disposition = "resolved"
    taken[2].disposition = "resolved"
    db.commit()
    raw = client.get("/console/reports/export/dispositions.csv", query_string=RANGE).get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["code", "label_zh", "label_en", "calls", "campaign_calls"]
    assert rows[1:3] == [["resolved", "已解决", "Resolved", "2", "0"], ["complaint", "投诉", "Complaint", "1", "0"]]
    assert rows[-1][0] == "-" and int(rows[-1][3]) == len(taken) - 3
    page = client.get("/console/reports", query_string=RANGE).get_data(as_text=True)
    assert 'data-table="dispositions"' in page and 'data-code="complaint"' in page
