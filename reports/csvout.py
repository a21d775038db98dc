"""CSV exports of every report table, written by ``core.csvsafe`` (UTF-8 with a BOM, formula
cells neutralised).

``TABLES`` names each table and how to get its header and rows from a summary dict; the audit
log export builds its rows in ``reports.audit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.csvsafe import BOM, csv_response, csv_text  # the one CSV writer (no live formulas)

__all__ = ["BOM", "TABLES", "csv_response", "csv_text", "table"]


def _pairs(mapping: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _pairs(value, name + ".")
        elif not isinstance(value, list):
            out.append((name, value))
    return out


def _dict_rows(items: list[dict[str, Any]], columns: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    return list(columns), [[item.get(c) for c in columns] for item in items]


Table = Callable[[dict[str, Any]], tuple[list[str], list[list[Any]]]]

CALL_COLUMNS = ("calls_in", "calls_out", "answered", "abandoned", "service_level", "asa_s", "aht_s", "over_5_min",
                "cases", "cases_open", "overdue", "escalated")

TABLES: dict[str, tuple[str, str, Table]] = {
    "calls": ("话务指标", "Call KPIs",
              lambda r: (["metric", "value"], [list(p) for p in _pairs(r["calls"])])),
    "cases": ("案件(类型×状态)", "Cases by type and status",
              lambda r: (["kind", "status", "count"],
                         [[k, st, n] for k, v in r["cases"]["by_kind_status"].items() for st, n in v.items()])),
    "rates": ("回访与满意度", "Call-back, survey and satisfaction rates",
              lambda r: (["metric", "value"], [list(p) for p in _pairs(r["rates"])])),
    "complaints": ("投诉及处理结果", "Complaints and their results", lambda r: _dict_rows(
        r["complaints"]["items"], ("ref", "created_at", "status", "district", "department", "description",
                                   "callbacks", "last_result", "result"))),
    "agents": ("按坐席", "By agent", lambda r: _dict_rows(
        r["by_agent"], ("agent_code", "name", "display_name", "answered_in", "answered_out",
                        "answered_within_threshold", "asa_s", "aht_s", "talk_s", "over_5_min", "forbidden_alerts"))),
    "districts": ("按城区", "By district", lambda r: _dict_rows(r["by_district"], ("district", *CALL_COLUMNS))),
    "case-kinds": ("按类型", "By case type", lambda r: _dict_rows(r["by_case_kind"], ("kind", *CALL_COLUMNS))),
    "reassurances": ("安抚提示后30秒内挂断", "Abandons within 30 s after a reassurance", lambda r: _dict_rows(
        r["reassurance_abandons"], ("wording_id", "wording", "prompts", "abandoned_within", "rate"))),
    "menu-options": ("按来电菜单选项", "Calls by menu choice", lambda r: _dict_rows(
        r["by_menu_option"], ("menu_option", "calls_in", "calls_out", "answered", "abandoned", "service_level",
                              "asa_s", "aht_s"))),
    "case-types": ("按案件类型", "Cases by type", lambda r: _dict_rows(
        r["by_case_type"], ("kind", "cases", "open", "overdue", "escalated"))),
    "dispositions": ("话后结果", "Wrap-up results", lambda r: _dict_rows(
        r["by_disposition"], ("code", "label_zh", "label_en", "calls", "campaign_calls"))),
    "trend": ("与上一周期对比", "Against the previous period", lambda r: _dict_rows(
        r["trend"]["rows"], ("metric", "current", "previous", "change"))),
    "wait-accuracy": ("预计等待准确度", "Announced vs actual wait",
                      lambda r: (["metric", "value"], [list(p) for p in _pairs(r["wait_accuracy"])])),
}


def table(name: str, report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return TABLES[name][2](report)
