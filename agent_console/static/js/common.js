// Shared helpers for the console pages: config, language, JSON calls with CSRF, live updates.
export const config = JSON.parse(document.getElementById("console-config")?.textContent || "{}");
export const lang = config.lang || document.documentElement.lang || "zh-CN";
export const tr = (zh, en) => (lang === "en" ? en : zh);

// JSON calls with the CSRF token: the web shell's one helper.
export { api } from "/console/shell/js/api.js";

// Server time: the page computes timers from the server's clock, not the browser's.
let offsetMs = 0;
export function syncClock(serverIso) {
  if (serverIso) offsetMs = Date.parse(serverIso) - Date.now();
}
export const now = () => Date.now() + offsetMs;

export function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function localTime(iso) {
  if (!iso) return "—";
  try {
    return new Intl.DateTimeFormat(lang, { timeZone: config.timezone, dateStyle: "short", timeStyle: "short" })
      .format(new Date(iso));
  } catch (e) { return iso; }
}

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Text with <mark> at each flag's [js_start, js_end) (UTF-16 offsets from the server).
export function marked(text, flags) {
  let out = "", at = 0;
  const sorted = [...(flags || [])].sort((a, b) => a.js_start - b.js_start);
  sorted.forEach((flag, i) => {
    if (flag.js_start < at) return;
    out += esc(text.slice(at, flag.js_start));
    out += `<mark class="forbidden" data-flag="${i}" title="${esc(flag.situation || "")}">${esc(text.slice(flag.js_start, flag.js_end))}</mark>`;
    at = flag.js_end;
  });
  return out + esc(text.slice(at));
}

export const presenceLabel = (state) => ({
  available: tr("空闲", "Available"), busy: tr("忙碌", "Busy"), wrap_up: tr("话后整理", "Wrap-up"),
  away: tr("离开", "Away"), offline: tr("离线", "Offline"),
}[state] || state);

export const roleLabel = (role) => ({
  agent: tr("坐席", "agent"), lead: tr("班长", "team lead"), admin: tr("管理员", "admin"),
}[role] || role);

export const caseStatusLabel = (status) => ({
  open: tr("待处理", "Open"), dispatched: tr("已派部门", "Dispatched"), resolved: tr("已解决", "Resolved"),
  closed: tr("已关闭", "Closed"),
}[status] || status);

// Live updates by SSE. On (re)connect `onOpen` refetches state, so nothing is missed.
export function live(handlers, onOpen) {
  const status = document.getElementById("live-status");
  const source = new EventSource("/console/events");
  source.addEventListener("hello", () => {
    if (status) status.textContent = tr("实时更新已连接", "Live updates connected");
    document.body.dataset.live = "connected";
    if (onOpen) onOpen();
  });
  source.onerror = () => {
    if (status) status.textContent = tr("实时更新已断开,正在重连…", "Live updates lost, reconnecting…");
    document.body.dataset.live = "reconnecting";
  };
  for (const [topic, handler] of Object.entries(handlers)) {
    source.addEventListener(topic, (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.refresh && onOpen) { onOpen(); return; }
      handler(data);
    });
  }
  window.addEventListener("beforeunload", () => source.close());
  return source;
}
