// The call card's Transfer panel (H11): pick a target (the lead, a free agent, a queue), warm or
// cold; during a warm transfer: join the caller (three-way), complete (you leave) or cancel.
// The server keeps the transfer's state on the call; every desk update redraws the panel.
import { api, config, esc, tr } from "./common.js";

const $ = (id) => document.getElementById(id);
let lastCall = null;

const STATES = {
  dialing: ["正在呼叫", "Ringing"],
  consult: ["正在咨询(来电人保持中)", "Consulting (the caller is on hold)"],
  three_way: ["三方通话中", "Three-way call"],
  done: ["已转接", "Transferred to"],
  cancelled: ["已取消转接", "Transfer cancelled"],
  failed: ["无人接听,来电人已回到您这里", "Not answered; the caller is back with you"],
};

function say(text, bad) {
  const status = $("transfer-status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(bad));
}

function describe(t) {
  if (!t?.state) return "";
  const [zh, en] = STATES[t.state] || [t.state, t.state];
  const who = t.target || t.to || "";
  return `${tr(zh, en)}${who && ["dialing", "consult", "three_way", "done"].includes(t.state) ? ` ${who}` : ""}`;
}

export function renderTransfer(call) {
  const box = $("transfer");
  if (!box) return;
  const t = call && !call.ended && !call.ringing ? call.transfer : null;
  box.hidden = !t;
  if (!t) { box.open = false; lastCall = null; return; }
  if (call.call_sid !== lastCall) { lastCall = call.call_sid; say(""); }
  const select = $("transfer-to");
  const chosen = select.value;
  const options = t.targets.map((o) =>
    `<option value="${esc(o.to)}"${o.queue ? ' data-queue="1"' : ""}>${esc((o.label || {})[config.lang] || o.to)}${o.queue ? ` (${tr("队列", "queue")})` : ""}</option>`).join("");
  if (select.dataset.options !== options) { select.innerHTML = options; select.dataset.options = options; }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  const live = ["dialing", "consult", "three_way"].includes(t.state);
  $("transfer-form").hidden = live;
  $("transfer-steps").hidden = !(live && t.mode === "warm");
  $("transfer-join").disabled = t.state !== "consult";
  $("transfer-complete").disabled = t.state === "dialing";
  if (t.state) say(describe(t), t.state === "failed");
}

export function initTransfer(onDesk) {
  const form = $("transfer-form");
  if (!form) return;
  const send = async (body) => {
    try {
      const out = await api("/console/api/transfer", body);
      say(out.outcome === "callback"
        ? `${tr("班长暂时无法接听,已登记管理人员回电工单", "No lead free: manager call-back case opened")} ${out.case_ref}`
        : describe(out), out.outcome === "callback");
      onDesk();
    } catch (error) {
      say(error.message, true);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const option = $("transfer-to").selectedOptions[0];
    const mode = option?.dataset.queue ? "cold" : form.mode.value;  // a queue takes a cold transfer
    send({ mode, to: $("transfer-to").value });
  });
  for (const id of ["transfer-join", "transfer-complete", "transfer-cancel"]) {
    $(id).addEventListener("click", () => send({ action: $(id).dataset.step }));
  }
}
