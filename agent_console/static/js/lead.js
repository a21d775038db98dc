// The team lead's live view: queue, agents (set their state; listen, whisper, barge, leave),
// alerts (acknowledge), transcript. The supervision mode shown comes from the server.
import { api, config, esc, live, localTime, marked, mmss, now, presenceLabel, roleLabel, syncClock, tr } from "./common.js";

const $ = (id) => document.getElementById(id);
let agents = [];
let watching = null;
const seen = new Set();
const alertLabel = (k) => ({
  forbidden_phrase: tr("禁用语", "Forbidden phrase"), long_call: tr("通话超过 5 分钟", "Call over 5 minutes"),
  sla_breach: tr("等待超过三声铃响", "Waiting past 3 rings"),
}[k] || k);

function renderQueue(q) {
  syncClock(q.now);
  $("queue-size").textContent = q.size;
  $("queue-rows").innerHTML = q.rows.map((r) => `<tr class="${r.over_sla ? "over-sla" : ""}">
    <td>${r.position}</td><td>${esc(r.caller)}${r.kind === "callback" ? ` <span class="badge">${tr("回电", "call-back")}</span>` : ""}</td>
    <td>${esc(r.menu_option || "—")}</td><td>${r.priority}</td>
    <td data-joined="${esc(r.joined_at)}" class="wait">${mmss(r.wait_s)}</td></tr>`).join("")
    || `<tr><td colspan="5" class="muted">${tr("无人排队", "Nobody waiting")}</td></tr>`;
}

const MODES = ["listen", "whisper", "barge", "leave"];
const modeLabel = (m) => ({
  listen: tr("监听", "Listen"), whisper: tr("密语", "Whisper"), barge: tr("强插", "Barge"), leave: tr("退出", "Leave"),
}[m] || m);
const modeState = (sv) => (!sv ? "" : sv.mode || (sv.connecting ? "connecting" : ""));

function stateText(sv) {
  if (!sv) return "";
  const who = sv.lead ? `${esc(sv.lead)}: ` : "";
  if (sv.mode === "listen") return who + tr("正在监听(双方都听不到您)", "listening (nobody hears you)");
  if (sv.mode === "whisper") return who + tr("正在密语(只有坐席听得到)", "whispering (only the agent hears)");
  if (sv.mode === "barge") return who + tr("已强插(所有人都听得到)", "barged in (everyone hears)");
  if (sv.connecting) return who + tr("正在呼叫您的电话…", "calling your phone…");
  return sv.error ? `${tr("失败", "Failed")}: ${esc(sv.error)}` : "";
}

function superviseHtml(a) {
  const c = a.call;
  if (!c || c.ringing) return "—";
  const sv = c.supervision;
  const active = modeState(sv);
  const mine = sv && sv.lead_id === config.user?.id;
  return `<div class="supervise" data-supervise-call="${esc(c.call_sid)}" data-supervision="${active}">
    ${MODES.map((m) => `<button type="button" class="small" data-supervise="${m}" data-call="${esc(c.call_sid)}"
      data-call-id="${c.call_id}" aria-pressed="${String(active === m && mine)}"
      ${m === "leave" && !(active && mine) ? "disabled" : ""}>${modeLabel(m)}</button>`).join("")}
    <span class="small muted supervise-state">${stateText(sv)}</span></div>`;
}

function showSupervision() {
  const el = $("supervise-status");
  const row = agents.find((a) => a.call && a.call.call_id === watching);
  const sv = row ? row.call.supervision : null;
  el.dataset.supervision = modeState(sv);
  el.innerHTML = row && sv ? `${esc(row.display_name)} · ${stateText(sv)}` : "";
}

async function superviseClick(button) {
  const callId = Number(button.dataset.callId);
  if (watching !== callId) watch(callId);  // the transcript beside the controls
  button.disabled = true;
  try {
    await api(`/console/api/lead/calls/${button.dataset.call}/supervise`, { mode: button.dataset.supervise });
  } catch (error) {
    $("supervise-status").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

function renderAgents(data) {
  syncClock(data.now);
  agents = data.agents;
  $("agent-rows").innerHTML = agents.map((a) => {
    const c = a.call;
    const call = c ? `${esc(c.caller)} ${c.ringing ? tr("振铃中", "ringing")
      : `<span class="talk" data-answered="${esc(c.answered_at || "")}">${mmss(c.talk_s || 0)}</span>`}
      <button type="button" class="small" data-watch="${c.call_id}">${tr("查看转写", "Transcript")}</button>` : "—";
    return `<tr data-agent="${esc(a.name)}"><td>${esc(a.display_name)} <span class="muted small" data-role="${esc(a.role)}">${esc(roleLabel(a.role))}</span></td>
      <td>${esc(a.agent_code || "")}</td>
      <td><span class="badge ${a.presence}" data-state="${a.presence}">${presenceLabel(a.presence)}</span></td><td>${call}</td>
      <td>${superviseHtml(a)}</td>
      <td><form class="inline-form" data-set-presence="${a.id}">
        <label class="visually-hidden" for="state-${a.id}">${tr("状态", "State")}</label>
        <select id="state-${a.id}" name="state">${["available", "busy", "wrap_up", "away"].map((s) =>
          `<option value="${s}" ${s === a.presence ? "selected" : ""}>${presenceLabel(s)}</option>`).join("")}</select>
        <button type="submit" class="small">${tr("设置", "Set")}</button></form></td></tr>`;
  }).join("");
  showSupervision();
  tick();
}

function alertHtml(a) {
  const detail = a.detail || {};
  const extra = a.kind === "forbidden_phrase"
    ? `<div>「${esc(a.text)}」${detail.alternatives && detail.alternatives[0] ? ` → <q>${esc(detail.alternatives[0])}</q>` : ""}</div>`
    : `<div>${esc(a.caller || "")} ${a.kind === "sla_breach" ? `${tr("已等待", "waited")} ${detail.waited_s ?? ""}${tr("秒", "s")}` : ""}</div>`;
  return `<li class="${a.kind}" data-alert="${a.id}"><strong>${alertLabel(a.kind)}</strong>
    ${a.agent ? `· ${esc(a.agent)} (${esc(a.agent_code || "")})` : ""} <span class="when">${esc(localTime(a.created_at))}</span>
    ${extra}
    ${a.call_id ? `<button type="button" class="small" data-watch="${a.call_id}">${tr("查看转写", "Transcript")}</button>` : ""}
    <button type="button" class="small" data-ack="${a.id}">${tr("知道了", "Acknowledge")}</button></li>`;
}

function addAlert(a) {
  if (document.querySelector(`[data-alert="${a.id}"]`)) return;
  $("alerts").insertAdjacentHTML("afterbegin", alertHtml(a));
  countAlerts();
}

function countAlerts() { $("alert-count").textContent = $("alerts").children.length; }

function tick() {
  document.querySelectorAll(".talk[data-answered]").forEach((el) => {
    if (!el.dataset.answered) return;
    const seconds = (now() - Date.parse(el.dataset.answered)) / 1000;
    el.textContent = mmss(seconds);
    el.classList.toggle("amber", seconds >= config.call_target_s && seconds < config.call_max_s);
    el.classList.toggle("red", seconds >= config.call_max_s);
  });
  document.querySelectorAll(".wait[data-joined]").forEach((el) => {
    el.textContent = mmss((now() - Date.parse(el.dataset.joined)) / 1000);
  });
}

function addUtterance(u) {
  if (!u.final || seen.has(u.id)) return;
  seen.add(u.id);
  $("transcript").insertAdjacentHTML("beforeend", `<li class="utterance ${u.speaker}${u.flags.length ? " flagged" : ""}">
    <span class="speaker">${u.speaker === "agent" ? tr("坐席", "Agent") : tr("来电人", "Caller")}</span>
    <span class="u-text">${marked(u.text, u.flags)}</span>${u.speaker === "agent" ? reviewHtml(u) : ""}</li>`);
}

// The lead's review marks: a flag is wrong, or the line should have been flagged as S1–S9.
function reviewHtml(u) {
  if (u.flags.length) return ` <button type="button" class="small" data-wrong-flag="${u.id}">${tr("误报", "Wrong flag")}</button>`;
  const options = Array.from({ length: 9 }, (_, i) => `<option>S${i + 1}</option>`).join("");
  return ` <select data-missed-label="${u.id}" aria-label="${tr("情形", "Situation")}">${options}</select>
    <button type="button" class="small" data-missed="${u.id}">${tr("应标记", "Should have been flagged")}</button>`;
}

async function markReview(event) {
  const button = event.target.closest("[data-wrong-flag], [data-missed]");
  if (!button) return;
  const body = button.dataset.missed
    ? { kind: "missed", utterance_id: Number(button.dataset.missed),
        label: document.querySelector(`[data-missed-label="${button.dataset.missed}"]`).value }
    : { kind: "wrong_flag", utterance_id: Number(button.dataset.wrongFlag) };
  button.disabled = true;
  try {
    await api("/console/library/candidates", body);
    button.textContent = tr("已提交审核", "Sent for review");
  } catch (error) {
    button.textContent = error.message;
  }
}

async function watch(callId) {
  watching = callId;
  seen.clear();
  $("transcript").innerHTML = "";
  $("listen-call").textContent = `${tr("通话", "Call")} #${callId}`;
  showSupervision();
  const data = await api(`/console/api/calls/${callId}/transcript`);
  data.utterances.forEach(addUtterance);
}

async function refresh() {
  const state = await api("/console/api/lead/state");
  renderQueue(state.queue);
  renderAgents(state.agents);
  $("alerts").innerHTML = state.alerts.map(alertHtml).join("");
  countAlerts();
}

document.addEventListener("click", async (event) => {
  const ack = event.target.closest("[data-ack]");
  if (ack) {
    await api(`/console/api/lead/alerts/${ack.dataset.ack}/ack`, {});
    document.querySelector(`[data-alert="${ack.dataset.ack}"]`)?.remove();
    countAlerts();
  }
  const sup = event.target.closest("[data-supervise]");
  if (sup) { superviseClick(sup); return; }
  const w = event.target.closest("[data-watch]");
  if (w) watch(Number(w.dataset.watch));
  markReview(event);
});
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-set-presence]");
  if (!form) return;
  event.preventDefault();
  await api(`/console/api/lead/agents/${form.dataset.setPresence}/presence`, { state: form.state.value });
});

setInterval(tick, 1000);  // the display clocks only; data arrives by SSE
live({
  queue: renderQueue,
  agents: renderAgents,
  alert: addAlert,
  alert_ack: (a) => { document.querySelector(`[data-alert="${a.id}"]`)?.remove(); countAlerts(); },
  transcript: (u) => { if (u.call_id === watching) addUtterance(u); },
}, refresh);
