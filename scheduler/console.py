"""Campaign pages for team leads (``/console/campaigns``), built on the web shell's sign-in,
base template and nav: list and create, CSV upload with the per-row report, the explain panel
(blocked by DNC / outside window / at retry cap / invalid), each contact's "why (not) dialed",
start / pause / resume / cancel, and a live progress bar (polls ``progress.json``)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from core.db import session, utcnow
from core.disclosure import phone_for
from core.phone import InvalidNumber
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from core.web.nav import register_nav
from scheduler import campaign_progress, history, preflight
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler import script as scripts

bp = Blueprint("campaigns", __name__, url_prefix="/console/campaigns", template_folder="templates",
               static_folder="static", static_url_path="/static")
LEADS = {"lead", "admin"}
PAGE = 200
ACTIONS = {"start": svc.start_campaign, "pause": svc.pause_campaign, "resume": svc.resume_campaign,
           "cancel": svc.cancel_campaign}
FORM_FIELDS = ("name", "purpose", "mode", "locale", "script", "voicemail_text", "start_at", "cron", "timezone",
               "window", "weekdays", "calls_per_second", "max_concurrent", "max_attempts", "retry_backoff_s",
               "ring_timeout_s", "agent_code", "agent_surname")


def _settings():
    return current_app.config["HOTLINE"]


def _user_id() -> int | None:
    user = current_console_user()
    return user.id if user else None


def _campaign(campaign_id: int):
    try:
        return svc.get_campaign(session(), campaign_id)
    except svc.CampaignError:
        abort(404)


def _form_defaults() -> dict[str, Any]:
    cfg = _settings().campaigns
    return {"purpose": "general_callback", "mode": "automated", "locale": _settings().company.default_locale,
            "calls_per_second": cfg.calls_per_second, "max_concurrent": cfg.max_concurrent,
            "max_attempts": cfg.max_attempts, "retry_backoff_s": int(cfg.retry_backoff_s),
            "ring_timeout_s": cfg.ring_timeout_s, "window": "", "machine_detection": True}


@bp.get("/")
@login_required(LEADS)
def index():
    s = session()
    rows = [(c, campaign_progress.progress(s, _settings(), c)) for c in svc.list_campaigns(s)]
    return render_template("campaigns/index.html", rows=rows, form=_form_defaults(), errors={},
                           purposes=svc.PURPOSES, modes=svc.MODES, scripts=scripts.DEFAULT_SCRIPTS)


@bp.post("/")
@login_required(LEADS)
def create():
    s = session()
    form = {k: request.form.get(k, "").strip() for k in FORM_FIELDS}
    data: dict[str, Any] = {k: v for k, v in form.items() if v != ""}
    data["machine_detection"] = bool(request.form.get("machine_detection"))
    context = {}
    for line in (request.form.get("context") or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            context[key.strip()] = value.strip()
    if context:
        data["context"] = context
    try:
        campaign = svc.create_campaign(s, _settings(), data, created_by_id=_user_id())
    except svc.CampaignError as exc:
        s.rollback()
        field = str(exc).split(":", 1)[0]
        rows = [(c, campaign_progress.progress(s, _settings(), c)) for c in svc.list_campaigns(s)]
        return render_template("campaigns/index.html", rows=rows, form={**_form_defaults(), **form},
                               errors={field: str(exc)}, purposes=svc.PURPOSES, modes=svc.MODES,
                               scripts=scripts.DEFAULT_SCRIPTS), 400
    s.commit()
    flash(t("外呼活动已创建,请上传联系人后开始。", "Campaign created: upload contacts, then start it."))
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


def _detail(campaign, report: dict[str, Any] | None = None, status: int = 200):
    s = session()
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    only = request.args.get("status") or None
    search = (request.args.get("q") or "").strip()[:60] or None
    progress = campaign_progress.progress(s, _settings(), campaign)
    contacts = campaign_progress.contacts_page(s, _settings(), campaign, offset, PAGE, only, search)
    unfilled = preflight.unfilled_values(s, _settings(), campaign) if campaign.status == "draft" else {}
    return render_template("campaigns/detail.html", campaign=campaign, p=progress, contacts=contacts,
                           report=report, offset=offset, page=PAGE, only=only, unfilled=unfilled, q=search,
                           script=svc.campaign_json(campaign)["script"]), status


@bp.get("/<int:campaign_id>")
@login_required(LEADS)
def detail(campaign_id: int):
    return _detail(_campaign(campaign_id))


@bp.get("/<int:campaign_id>/progress.json")
@login_required(LEADS)
def progress_json(campaign_id: int):
    return jsonify(campaign_progress.progress(session(), _settings(), _campaign(campaign_id)))


@bp.get("/<int:campaign_id>/contacts/<int:contact_id>")
@login_required(LEADS)
def contact_page(campaign_id: int, contact_id: int):
    campaign = _campaign(campaign_id)
    try:
        contact, attempts = history.contact_history(session(), campaign, contact_id)
    except history.HistoryError:
        abort(404)
    return render_template("campaigns/contact.html", campaign=campaign, contact=contact, attempts=attempts,
                           why=campaign_progress.why(_settings(), campaign, contact, utcnow()))


@bp.get("/<int:campaign_id>/attempts.csv")
@login_required(LEADS)
def attempts_csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    return Response(history.attempts_csv(session(), campaign, lambda n: phone_for(current_console_user(), n)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="campaign-{campaign.id}-attempts.csv"'})


@bp.post("/<int:campaign_id>/upload")
@login_required(LEADS)
def upload(campaign_id: int):
    s = session()
    campaign = _campaign(campaign_id)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        return _detail(campaign, {"fatal": t("请选择一个 CSV 文件", "file: choose a CSV file")}, 400)
    try:
        report = contacts_svc.import_csv(s, _settings(), campaign, upload_file.read())
    except contacts_svc.ImportProblem as exc:
        s.rollback()
        return _detail(campaign, {"fatal": f"{exc} ({t('未导入任何联系人', 'nothing was imported')})"}, 400)
    svc.audit(s, _user_id(), "campaign_import", campaign, imported=report.imported, errors=len(report.errors))
    s.commit()
    return _detail(campaign, report.as_dict())


@bp.post("/<int:campaign_id>/<action>")
@login_required(LEADS)
def act(campaign_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    s = session()
    campaign = _campaign(campaign_id)
    try:
        ACTIONS[action](s, campaign, _user_id())
    except svc.CampaignError as exc:
        s.rollback()
        flash(str(exc))
        return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
    s.commit()
    flash({"start": t("已开始", "Started"), "pause": t("已暂停", "Paused"), "resume": t("已恢复", "Resumed"),
           "cancel": t("已取消", "Cancelled")}[action])
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.route("/dnc", methods=["GET", "POST"])
@login_required(LEADS)
def dnc():
    s = session()
    error = None
    if request.method == "POST":
        try:
            _row, created = contacts_svc.add_dnc(s, _settings(), request.form.get("phone", ""),
                                                 request.form.get("reason") or None, _user_id())
            s.commit()
            flash(t("已加入免打扰名单", "Added to the do-not-call list") if created
                  else t("该号码已在名单中", "Already on the list"))
            return redirect(url_for("campaigns.dnc"))
        except InvalidNumber as exc:
            error = f"phone: {exc}"
    return render_template("campaigns/dnc.html", numbers=contacts_svc.list_dnc(s), error=error), 400 if error else 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_nav(app, "外呼活动", "Campaigns", "campaigns.index", roles=LEADS, order=40, group="campaigns")
