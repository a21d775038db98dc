// Live progress on a campaign page: polls progress.json every 2 s (CSP: no inline scripts).
(function () {
  const root = document.querySelector("[data-progress-url]");
  if (!root) return;
  const url = root.dataset.progressUrl;
  async function refresh() {
    try {
      const r = await fetch(url, {headers: {"X-Requested-With": "fetch", "Accept": "application/json"}});
      if (!r.ok) return;
      const p = await r.json();
      document.getElementById("bar").value = p.percent;
      document.getElementById("pct").textContent = Number(p.percent).toFixed(1);
      document.getElementById("c-status").textContent = p.status;
      document.querySelectorAll("[data-count]").forEach(el => { el.textContent = p[el.dataset.count]; });
      document.querySelectorAll("[data-blocked]").forEach(el => { el.textContent = p.blocked[el.dataset.blocked]; });
    } catch (e) { /* offline for a moment: try again */ }
  }
  setInterval(refresh, 2000);
})();
