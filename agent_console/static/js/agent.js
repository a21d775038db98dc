// The agent's desk: presence, the live call card (pushed by SSE), transcript, case form.
import { api, config, esc, live, localTime, marked, mmss, now, presenceLabel, syncClock, tr } from "./common.js";
import { fromCaller, initReply } from "./reply.js";
import { initRecording } from "./recording.js";
import { initRing, ringFor } from "./ring.js";
import { initShortcuts } from "./shortcuts.js";
import { initTransfer, renderTransfer } from "./transfer.js";

const $ = (id) => document.getElementById(id);
let desk = null;
let transcriptCallId = null;
const seen = new Set();
let caseFormCall = null;  // the call the case form was last cleared for
let queue = null;
let queueAt = 0;
let ringAt = 0;
const revealed = new Map();  // caller id → the number a lead revealed (kept across desk updates)

const localeLabel = (l) => ({ "zh-CN": "中文", en: "English" }[l] || l || "—");
const kindLabel = (k) => ({
  routine: tr("常规服务", "Routine"), repair: tr("报修", "Repair"), complaint: tr("投诉", "Complaint"),
  inquiry: tr("咨询", "Inquiry"), manager_callback: tr("管理人员回电", "Manager call-back"),
  message: tr("留言", "Message"), recovery: tr("回访", "Recovery"), follow_up: tr("跟进", "Follow-up"),
}[k] || k);

function field(name, value) {
  document.querySelectorAll(`[data-field="${name}"]`).forEach((el) => { el.textContent = value ?? "—"; });
}

async function refresh() {
  render(await api("/console/api/desk"));
}

function render(state) {
  desk = state;
  syncClock(state.now);
  const p = state.presence;
  const badge = $("presence-badge");
  badge.className = `badge ${p.state}`;
  badge.dataset.state = p.state;
  badge.textContent = presenceLabel(p.state);
  document.querySelectorAll("[data-presence]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.presence === p.state)));
  const call = state.call;
  const card = $("call-card");
  card.dataset.state = !call ? "idle" : call.ringing ? "ringing" : call.ended ? "ended" : "live";
  $("card-idle").hidden = Boolean(call);
  $("card-ringing").hidden = !(call && call.ringing);
  $("card-call").hidden = !(call && !call.ringing);
  if (call) renderCall(call);
  ringFor(call, call && call.ringing ? ringSummary(call) : null);
  if (call && call.call_id !== caseFormCall) {
    if (caseFormCall !== null) resetCaseForm();  // a new caller: nothing carried over
    caseFormCall = call.call_id;
  }
  if (state.queue) showQueue(state.queue);
  if (call && !call.ringing && call.call_id !== transcriptCallId) loadTranscript(call.call_id);
  if (!call) { transcriptCallId = null; $("transcript").innerHTML = ""; seen.clear(); }
  tick();
}

const menuText = (call) => (call.menu_label || {})[config.lang] || call.menu_option || "—";

function ringSummary(call) {
  const c = call.caller;
  const parts = [`${call.title_text || tr("来电人", "Caller")} ${c.phone}`, menuText(call), localeLabel(call.locale),
    `${tr("已等待", "waiting")} ${mmss(ringWait(call))}`];
  if (c.previous_calls.length) parts.push(tr("再次来电", "repeat caller"));
  if (c.open_cases.length) parts.push(`${tr("未结工单", "open cases")} ${c.open_cases.length}`);
  return parts.join(" · ");
}

const ringWait = (call) => (call.wait_s || 0) + (now() - ringAt) / 1000;

// What Flex shows on an incoming task: who, what they chose, language, wait, and history.
function renderRinging(call) {
  const c = call.caller;
  ringAt = now();
  field("ring-caller", `${call.title_text || tr("来电人", "Caller")} ${c.phone}`);
  field("ring-menu", menuText(call));
  field("ring-locale", localeLabel(call.locale));
  const badges = [];
  if (c.previous_calls.length) {
    badges.push(`<span class="badge repeat" data-badge="repeat">${tr("再次来电", "Repeat caller")} · ${c.previous_calls.length}</span>`);
  }
  if (c.open_cases.length) {
    badges.push(`<span class="badge open-cases" data-badge="open-cases">${tr("未结工单", "Open cases")} ${c.open_cases.length}</span>`);
  }
  $("ring-badges").innerHTML = badges.join(" ");
}

function renderCall(call) {
  const c = call.caller;
  const who = call.title_text || tr("来电人", "Caller");
  if (call.ringing) renderRinging(call);
  $("answer-btn").hidden = !config.simulator;
  $("ring-phone-hint").hidden = config.simulator;
  field("title", who);
  field("phone", revealed.get(c.id) || c.phone);
  field("district", c.district || "—");
  field("menu", menuText(call));
  field("locale", localeLabel(call.locale));
  const waited = call.wait_s == null ? "—" : `${call.wait_s} ${tr("秒", "s")}`;
  field("wait", call.over_threshold ? `${waited} ⚠ ${tr("超过三声", "over 3 rings")}` : waited);
  $("apology").hidden = !call.apology;
  field("apology", call.apology || "");
  $("call-ended").hidden = !call.ended;
  // The lead coaching (whisper: only you hear them) or barged in (everyone hears them).
  const supervised = call.ended ? null : call.supervised;
  const sb = $("supervised-badge");
  sb.hidden = !supervised;
  sb.dataset.supervised = supervised || "";
  sb.textContent = supervised === "whisper" ? tr("班长正在辅导您(只有您听得到)", "Your lead is coaching you (only you hear them)")
    : supervised === "barge" ? tr("班长已加入通话", "Your lead has joined the call") : "";
  $("hangup-btn").disabled = call.ended;
  for (const id of ["hold-btn", "mute-btn"]) $(id).disabled = call.ended || call.ringing;
  document.querySelectorAll("#keypad button").forEach((b) => { b.disabled = call.ended || call.ringing; });
  renderTransfer(call);
  if (call.call_sid !== controlledCall) { controlledCall = call.call_sid; setToggle("hold-btn", false); setToggle("mute-btn", false); }
  renderWrapUp(call);
  const form = $("caller-form");
  if (document.activeElement?.form !== form) {
    form.surname.value = c.surname || "";
    form.title.value = c.title || "";
    form.district.value = c.district || "";
  }
  $("previous-calls").innerHTML = c.previous_calls.length ? c.previous_calls.map((p) =>
    `<li>${esc(localTime(p.started_at))} · ${esc((p.menu_label || {})[config.lang] || p.menu_option || "—")} · ${tr("等待", "waited")} ${Math.round(p.wait_s || 0)}${tr("秒", "s")}
     · ${tr("时长", "talk")} ${mmss(p.duration_s || 0)}${p.agent ? ` · ${esc(p.agent)}` : ""}${p.disposition ? ` · <span data-disposition>${esc(p.disposition[config.lang])}</span>` : ""}</li>`).join("")
    : `<li class="muted">${tr("首次来电", "First call")}</li>`;
  $("open-cases").innerHTML = c.open_cases.length ? c.open_cases.map((k) =>
    `<li class="${k.overdue ? "overdue" : ""}"><strong>${esc(k.ref)}</strong> ${esc(kindLabel(k.kind))} — ${esc(k.description)}
     <span class="muted">${tr("期限", "due")} ${esc(localTime(k.reply_due_at))}${k.overdue ? ` · ${tr("已逾期", "overdue")}` : ""}</span></li>`).join("")
    : `<li class="muted">${tr("无", "None")}</li>`;
}

// Wrap-up: once the call is over, the disposition codes offered for it (radio buttons: arrow keys
// move between them); the one given is checked. Drawn again only when the call or its result changes.
let wrapUpDrawn = "";
function renderWrapUp(call) {
  const form = $("wrapup-form");
  form.hidden = !call.ended;
  $("wrapup-required").hidden = !call.disposition_required;
  const given = call.disposition ? call.disposition.code : "";
  const key = `${call.call_sid}|${given}`;
  if (key === wrapUpDrawn) return;
  wrapUpDrawn = key;
  const legend = $("wrapup-codes").querySelector("legend").outerHTML;
  $("wrapup-codes").innerHTML = legend + (call.dispositions || []).map((d) =>
    `<label class="check"><input type="radio" name="code" value="${esc(d.code)}"${d.code === given ? " checked" : ""}> ${esc(d.label[config.lang] || d.code)}</label>`).join("");
  $("wrapup-note").value = call.disposition ? call.disposition.note || "" : "";
  message("wrapup-message", call.disposition ? `${tr("已保存", "Saved")}: ${call.disposition.label[config.lang]}` : "");
}

function initWrapUp() {
  $("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const code = form.querySelector("input[name=code]:checked");
    if (!code) { message("wrapup-message", tr("请选择一个结果", "Choose a result"), true); return; }
    await act("/console/api/disposition", { call_sid: desk?.call?.call_sid, code: code.value, note: form.note.value },
      "wrapup-message");
  });
}

// H7: the call timer turns amber at calls.target_s and red at calls.max_s (from settings).
function tick() {
  const call = desk && desk.call;
  const timer = $("call-timer");
  if (call && !call.ringing && call.answered_at) {
    const end = call.ended_at ? Date.parse(call.ended_at) : now();
    const seconds = (end - Date.parse(call.answered_at)) / 1000;
    timer.textContent = mmss(seconds);
    timer.classList.toggle("amber", seconds >= config.call_target_s && seconds < config.call_max_s);
    timer.classList.toggle("red", seconds >= config.call_max_s);
  } else {
    timer.textContent = "00:00";
    timer.classList.remove("amber", "red");
  }
  if (call && call.ringing) field("ring-wait", mmss(ringWait(call)));
  drawQueue();
  const wrap = $("wrapup-timer");
  const ends = desk && desk.presence.wrap_up_ends_at;
  wrap.hidden = !ends;
  if (ends) wrap.textContent = `${tr("剩余", "left")} ${mmss((Date.parse(ends) - now()) / 1000)}`;
}

function utteranceHtml(u) {
  const alt = (u.flags || []).map((f) => (f.alternatives || [])[0]).filter(Boolean);
  return `<li class="utterance ${u.speaker}${u.flags && u.flags.length ? " flagged" : ""}" data-id="${u.id}">
    <span class="speaker">${u.speaker === "agent" ? tr("坐席", "Agent") : tr("来电人", "Caller")}</span>
    <span class="u-text">${marked(u.text, u.flags)}</span>
    ${alt.length ? `<span class="flag-alt">→ ${tr("建议", "say instead")}: <q>${esc(alt[0])}</q></span>
      <button type="button" class="small" data-wrong-flag="${u.id}">${tr("误报", "Wrong flag")}</button>` : ""}</li>`;
}

function addUtterance(u) {
  if (!u.final || seen.has(u.id)) return;
  seen.add(u.id);
  const list = $("transcript");
  list.insertAdjacentHTML("beforeend", utteranceHtml(u));
  list.lastElementChild.scrollIntoView({ block: "nearest" });
}

// A flag the agent thinks is wrong goes to the lead's review list (the library page).
async function markWrongFlag(event) {
  const button = event.target.closest("[data-wrong-flag]");
  if (!button) return;
  button.disabled = true;
  try {
    await api("/console/library/candidates", { kind: "wrong_flag", utterance_id: Number(button.dataset.wrongFlag) });
    button.textContent = tr("已提交审核", "Sent for review");
  } catch (error) {
    button.textContent = error.message;
  }
}

async function loadTranscript(callId) {
  transcriptCallId = callId;
  seen.clear();
  $("transcript").innerHTML = "";
  try {
    const data = await api(`/console/api/calls/${callId}/transcript`);
    if (transcriptCallId === callId) data.utterances.forEach(addUtterance);
  } catch (error) { /* a transcript is best effort */ }
}

function message(id, text, bad) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", Boolean(bad));
}

let controlledCall = null;

function setToggle(id, active) {
  const button = $(id);
  button.setAttribute("aria-pressed", String(active));
  button.querySelector("span").textContent = active ? button.dataset.on : button.dataset.off;
}

async function act(path, body, messageId) {
  try {
    const data = await api(path, body || {});
    if (data.presence) render(data);
    return data;
  } catch (error) {
    message(messageId || "card-message", error.message, true);
    return null;
  }
}

function localInput(isoUtc) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: config.timezone, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
    .formatToParts(new Date(isoUtc)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

// H14: the reply deadline defaults to cases.reply_within_h from now.
function defaultDue() {
  return localInput(new Date(now() + config.reply_within_h * 3600 * 1000).toISOString());
}

// Back to the form's defaults (type, urgency, department, deadline…): after a save, and when the
// next call arrives, so nothing of one caller's case is carried over to the next.
function resetCaseForm() {
  const form = $("case-form");
  form.reset();
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form.querySelectorAll(".error.field-error").forEach((el) => el.remove());
  $("case-due").value = defaultDue();
}

function initCaseForm() {
  const form = $("case-form");
  const due = $("case-due");
  due.value = localInput(due.dataset.defaultUtc);  // H14: one day by default
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll(".error.field-error").forEach((el) => el.remove());
    const data = {
      kind: form.kind.value, place: form.place.value, description: form.description.value,
      contact_number: form.contact_number.value, use_caller_number: form.use_caller_number.checked,
      urgent: form.urgent.value === "true", department: form.department.value,
      reply_due_at: form.reply_due_at.value, answered: form.answered.checked,
      call_id: desk && desk.call ? desk.call.call_id : null,
    };
    try {
      const saved = await api("/console/api/cases", data);
      message("case-message", `${tr("已保存工单", "Case saved")} ${saved.ref}`);
      $("case-message").dataset.ref = saved.ref;
      resetCaseForm();
      refresh();
    } catch (error) {
      const input = error.data && error.data.field && form.elements[error.data.field];
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.insertAdjacentHTML("afterend", `<p class="error field-error">${esc(error.message)}</p>`);
        input.focus();
      }
      message("case-message", error.message, true);
    }
  });
}

// The longest wait ticks between updates (the server's figure plus the time since it came).
function showQueue(q) {
  queue = q;
  queueAt = now();
  drawQueue();
}

function drawQueue() {
  if (!queue) return;
  const longest = queue.longest_wait_s + (now() - queueAt) / 1000;
  const el = $("queue-summary");
  el.dataset.size = String(queue.size);
  el.textContent = queue.size
    ? `${queue.size} ${tr("位等待,最长", "waiting, longest")} ${mmss(longest)}` : tr("无人排队", "Nobody waiting");
}

function init() {
  document.querySelectorAll("[data-presence]").forEach((button) => button.addEventListener("click", () =>
    act("/console/api/presence", { state: button.dataset.presence })));
  $("answer-btn").addEventListener("click", () => act("/console/api/answer", { leg_sid: desk?.ringing_leg }));
  $("hangup-btn").addEventListener("click", () => act("/console/api/hangup"));
  // Hold / resume the caller and mute / unmute yourself (Twilio conference participants).
  for (const [id, on, off] of [["hold-btn", "hold", "resume"], ["mute-btn", "mute", "unmute"]]) {
    $(id).addEventListener("click", async () => {
      const active = $(id).getAttribute("aria-pressed") === "true";
      const out = await act("/console/api/control", { action: active ? off : on });
      if (out) setToggle(id, !active);
    });
  }
  // Keypad: each key (or the typed string) is played as tones down the caller's leg.
  const sendDigits = async (digits) => {
    const out = await act("/console/api/control", { action: "digits", digits });
    if (out) message("card-message", `${tr("已发送按键", "Sent keys")} ${digits}`);
  };
  // Keys pressed in quick succession go as one string (one announcement: a second one sent while
  // the first plays would cut it short).
  let pressed = "";
  let pressTimer = null;
  document.querySelectorAll("[data-digit]").forEach((key) => key.addEventListener("click", () => {
    pressed += key.dataset.digit;
    clearTimeout(pressTimer);
    pressTimer = setTimeout(() => { const keys = pressed; pressed = ""; sendDigits(keys); }, 700);
  }));
  $("keypad-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("keypad-digits");
    if (input.value) { await sendDigits(input.value); input.value = ""; }
  });
  $("manager-btn").addEventListener("click", async () => {
    const out = await act("/console/api/manager");
    if (!out) return;
    const text = out.outcome === "transfer"
      ? `${tr("正在转接管理人员", "Transferring to")} ${out.lead}`
      : `${tr("已登记管理人员回电工单", "Manager call-back case opened")} ${out.case_ref}`;
    message("card-message", out.say ? `${text} — ${tr("请说", "say")}: 「${out.say}」` : text);
  });
  $("caller-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    if (!desk?.call?.caller?.id) return;
    await act(`/console/api/callers/${desk.call.caller.id}`,
      { surname: f.surname.value, title: f.title.value, district: f.district.value });
    refresh();
  });
  const reveal = $("reveal-btn");
  if (reveal) reveal.addEventListener("click", async () => {
    const out = await act("/console/api/reveal", { caller_id: desk?.call?.caller?.id });
    if (!out) return;
    revealed.set(desk?.call?.caller?.id, out.number);
    field("phone", out.number);
  });
  initReply();
  initCaseForm();
  initWrapUp();
  initRing();
  initShortcuts();
  initRecording();
  initTransfer(refresh);
  $("transcript").addEventListener("click", markWrongFlag);
  setInterval(tick, 500);  // the display clock only; data arrives by SSE
  live({
    desk: render,
    transcript: (u) => {
      if (!desk?.call || u.call_id !== desk.call.call_id) return;
      addUtterance(u);
      if (u.speaker === "caller" && u.final) fromCaller(u.suggestions);
    },
    queue_summary: showQueue,
  }, refresh);
}

init();
