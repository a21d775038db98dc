// The wallboard, live: the console's SSE stream (/console/events) says when something changed
// (queue, agents, alerts, incidents, calls); the page then fetches /console/wallboard/data and
// redraws. The longest wait ticks every second between updates; a slow safety fetch catches
// figures that change with time alone.
(function () {
  "use strict";
  const script = document.getElementById("wallboard-js");
  const url = script.dataset.url;
  const lang = document.body.dataset.lang || "zh-CN";
  const tr = (zh, en) => (lang === "en" ? en : zh);
  const status = document.getElementById("live-status");
  const label = (state) => (window.HotlineCharts ? window.HotlineCharts.stateLabel(state) : state);
  let data = JSON.parse(document.getElementById("wallboard-data").textContent || "{}");
  let fetchedAt = Date.now();
  let pending = null;

  const formats = {
    pct: (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`),
    secs: (v) => (v == null ? "—" : `${Math.round(v)}s`),
    pct0: (v) => (v == null ? "—" : `${Math.round(v * 100)}%`),
    mmss: (v) => { const s = Math.max(0, Math.floor(v || 0)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; },
  };
  const get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? o : o[k]), obj);
  const esc = (t) => String(t ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  const since = () => (Date.now() - fetchedAt) / 1000;

  // Per-agent live table: time in state and the current call tick between updates.
  function agentRows() {
    const rows = data.agent_table || [];
    if (!rows.length) return `<tr><td colspan="7" class="muted">${tr("暂无坐席", "No agents")}</td></tr>`;
    return rows.map((a) => `<tr data-agent="${esc(a.name)}" data-state="${esc(a.presence)}"><td>${esc(a.display_name)}</td><td>${esc(a.agent_code || "")}</td>
      <td><span class="badge ${esc(a.presence)}">${esc(label(a.presence))}</span></td>
      <td class="num" data-col="since">${a.since_s == null ? "—" : formats.mmss(a.since_s + since())}</td>
      <td class="num" data-col="calls">${a.calls_today}</td><td class="num" data-col="aht">${formats.secs(a.aht_s)}</td>
      <td class="num" data-col="call">${a.call_s == null ? "—" : formats.mmss(a.call_s + since())}</td></tr>`).join("");
  }

  // Calls per hour: today (solid) against the same weekday last week (dashed), as an SVG sparkline.
  function sparkline(t) {
    if (!t) return "";
    const n = Math.max(t.today.length, t.last_week.length, 2);
    const top = Math.max(1, ...t.today, ...t.last_week);
    const w = 240, h = 48;
    const pts = (values) => values.map((v, i) => `${((i / (n - 1)) * w).toFixed(1)},${(h - 2 - (v / top) * (h - 4)).toFixed(1)}`).join(" ");
    return `<svg viewBox="0 0 ${w} ${h}" width="100%" height="${h}" preserveAspectRatio="none" role="img" aria-label="${tr("每小时来电", "Calls per hour")}">
      <polyline class="last" fill="none" stroke="#8c959f" stroke-width="2" stroke-dasharray="4 3" points="${pts(t.last_week)}"/>
      <polyline class="today" fill="none" stroke="#0b5cad" stroke-width="2.5" points="${pts(t.today)}"/></svg>`;
  }

  function draw() {
    document.querySelectorAll("[data-wb]").forEach((el) => {
      let value = get(data, el.dataset.wb);
      if (el.dataset.wb === "queue.longest_wait_s" && data.queue && data.queue.waiting) {
        value += (Date.now() - fetchedAt) / 1000;
      }
      const fmt = formats[el.dataset.format];
      el.textContent = fmt ? fmt(value) : (value ?? "—");
    });
    const longest = document.querySelector('[data-box="longest"]');
    if (longest) {
      const now = (data.queue.longest_wait_s || 0) + (data.queue.waiting ? (Date.now() - fetchedAt) / 1000 : 0);
      longest.classList.toggle("bad", now > data.threshold_s);
    }
    document.querySelector('[data-box="waiting"]')?.classList.toggle("bad", !!data.queue.over_threshold);
    const sl = document.querySelector('[data-box="service-level"]');
    if (sl && data.service_level) {
      sl.classList.remove("sl-green", "sl-amber", "sl-red", "sl-none");
      sl.classList.add(`sl-${data.service_level.colour}`);
      sl.dataset.colour = data.service_level.colour;
    }
    document.getElementById("wb-agents").innerHTML = agentRows();
    document.getElementById("wb-trend").innerHTML = sparkline(data.trend);
    document.getElementById("wb-today").textContent = data.today;
    document.getElementById("wb-states").innerHTML = Object.entries(data.agents.by_state)
      .map(([s, n]) => `<span class="badge ${s}" data-state="${s}">${esc(label(s))} <strong>${n}</strong></span>`).join("");
    document.getElementById("wb-reassurances").innerHTML = data.reassurance_abandons
      .map((r) => `<tr><td title="${esc(r.wording_id)}">${esc(r.wording)}</td><td class="num">${r.abandoned_within}/${r.prompts}</td><td class="num">${formats.pct(r.rate)}</td></tr>`).join("");
    document.getElementById("wb-incidents").innerHTML = data.incidents_due.length
      ? data.incidents_due.map((i) => `<li>${esc(i.title)} · ${tr("截止", "due")} ${esc(i.report_due_at)}${i.report_overdue ? ` <span class="tag overdue">${tr("已逾期", "overdue")}</span>` : ""}</li>`).join("")
      : `<li class="muted">${tr("无", "None")}</li>`;
    if (window.HotlineCharts) {
      window.HotlineCharts.render({ states: data.agents.by_state, reassurances: data.reassurance_abandons, waits: data.wait_accuracy });
    }
  }

  async function refresh() {
    pending = null;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json", "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) {
        data = await response.json();
        fetchedAt = Date.now();
        draw();
        document.body.dataset.wallboardUpdated = String(fetchedAt);
      }
    } catch (e) { /* the next event or the safety fetch tries again */ }
  }
  const soon = () => { if (!pending) pending = setTimeout(refresh, 500); };

  const source = new EventSource("/console/events");
  source.addEventListener("hello", () => { status.textContent = tr("实时更新已连接", "Live updates connected"); soon(); });
  ["queue", "queue_summary", "agents", "alert", "incident", "desk", "calls"].forEach((topic) => source.addEventListener(topic, soon));
  source.onerror = () => { status.textContent = tr("实时更新已断开,正在重连…", "Live updates lost; reconnecting…"); };

  setInterval(draw, 1000);
  setInterval(refresh, 30000);
  draw();
})();
