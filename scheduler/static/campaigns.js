// Live progress on a campaign page (CSP: no inline scripts). The page listens to the console's
// event stream and reloads progress.json when the scheduler reports a dial or an outcome for a
// campaign, or an agent's presence changes (agents free/busy; at most once a second); a slow
// refresh every 30 s keeps time-based counts current.
(function () {
  const root = document.querySelector("[data-progress-url]");
  if (!root) return;
  const url = root.dataset.progressUrl;
  const pct = v => (Number(v) * 100).toFixed(1) + " %";
  function show(p) {
    document.getElementById("bar").value = p.percent;
    document.getElementById("pct").textContent = Number(p.percent).toFixed(1);
    document.getElementById("c-status").textContent = p.status;
    document.querySelectorAll("[data-count]").forEach(el => { el.textContent = p[el.dataset.count]; });
    document.querySelectorAll("[data-blocked]").forEach(el => { el.textContent = p.blocked[el.dataset.blocked]; });
    if (!p.dialing) return;
    document.querySelectorAll("[data-dialing]").forEach(el => { el.textContent = p.dialing[el.dataset.dialing]; });
    document.querySelectorAll("[data-dialing-pct]").forEach(el => { el.textContent = pct(p.dialing[el.dataset.dialingPct]); });
    document.querySelectorAll("[data-agents]").forEach(el => { el.textContent = p.dialing.agents[el.dataset.agents]; });
    const list = document.getElementById("warnings");
    if (list) list.replaceChildren(...(p.warnings || []).map(w => { const li = document.createElement("li"); li.textContent = w; return li; }));
  }
  async function refresh() {
    try {
      const r = await fetch(url, {headers: {"X-Requested-With": "fetch", "Accept": "application/json"}});
      if (r.ok) show(await r.json());
    } catch (e) { /* offline for a moment: the next event or the slow refresh tries again */ }
  }
  let pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 1000);
  }
  if (window.EventSource) {
    const events = new EventSource("/console/events");
    events.addEventListener("campaign", soon);
    events.addEventListener("agents", soon);  // leads get the agents' presence changes
  }
  setInterval(refresh, 30000);
})();
