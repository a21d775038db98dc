// Planning charts with Chart.js (the reports' vendor copy). The page puts its data in
// <script type="application/json" id="planning-data"> and canvases with data-planning-chart.
(function () {
  "use strict";
  const lang = document.body.dataset.lang || document.documentElement.lang || "zh-CN";
  const tr = (zh, en) => (lang === "en" ? en : zh);
  const pct = (v) => (v == null ? null : Math.round(v * 1000) / 10);
  const colors = ["#0b5cad", "#1a7f37", "#b42318", "#9a6700", "#6f42c1", "#5b6470"];
  const node = document.getElementById("planning-data");
  if (!node || typeof Chart === "undefined") return;
  const d = JSON.parse(node.textContent);
  const base = (extra) => Object.assign({
    responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom" } },
  }, extra || {});
  const busy = (rows) => rows.filter((x) => x.calls > 0.05 || x.staffed > 0 || x.to_roster > 0);
  const builders = {
    plan: () => {
      const rows = busy(d.intervals);
      return { type: "bar", options: base({ scales: { y: { beginAtZero: true, title: { display: true, text: tr("来电", "Calls") } },
                                                      y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: tr("坐席", "Agents") } } } }),
        data: { labels: rows.map((x) => x.label), datasets: [
          { label: tr("预测来电", "Calls expected"), data: rows.map((x) => x.calls), backgroundColor: colors[0], yAxisID: "y" },
          { label: "Erlang C", data: rows.map((x) => x.erlang_c), type: "line", borderColor: colors[5], yAxisID: "y1", stepped: true },
          { label: "Erlang A", data: rows.map((x) => x.erlang_a), type: "line", borderColor: colors[3], yAxisID: "y1", stepped: true },
          { label: tr("需排班", "To roster"), data: rows.map((x) => x.to_roster), type: "line", borderColor: colors[2], yAxisID: "y1", stepped: true },
          { label: tr("已排班", "Rostered"), data: rows.map((x) => x.staffed), type: "line", borderColor: colors[1], yAxisID: "y1", stepped: true },
        ] } };
    },
    coverage: () => {
      const rows = busy(d.intervals);
      return { type: "bar", options: base({ scales: { y: { beginAtZero: true } } }),
        data: { labels: rows.map((x) => x.label), datasets: [
          { label: tr("已排班", "Rostered"), data: rows.map((x) => x.staffed),
            backgroundColor: rows.map((x) => (x.status === "under" ? colors[2] : x.status === "over" ? colors[3] : colors[1])) },
          { label: tr("需排班", "To roster"), data: rows.map((x) => x.to_roster), type: "line", borderColor: colors[0], stepped: true },
        ] } };
    },
    "replay-sl": () => {
      const rows = d.intervals;
      return { type: "line", options: base({ scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } }),
        data: { labels: rows.map((x) => x.interval), datasets: [
          { label: tr("服务水平(实际)", "Service level (then)"), data: rows.map((x) => pct(x.original && x.original.service_level)), borderColor: colors[5], spanGaps: true },
          { label: tr("服务水平(回放)", "Service level (replay)"), data: rows.map((x) => pct(x.replay && x.replay.service_level)), borderColor: colors[0], spanGaps: true },
        ] } };
    },
    "replay-abandon": () => {
      const rows = d.intervals;
      return { type: "line", options: base({ scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } }),
        data: { labels: rows.map((x) => x.interval), datasets: [
          { label: tr("放弃率(实际)", "Abandonment (then)"), data: rows.map((x) => pct(x.original && x.original.abandonment_rate)), borderColor: colors[5], borderDash: [4, 3], spanGaps: true },
          { label: tr("放弃率(回放)", "Abandonment (replay)"), data: rows.map((x) => pct(x.replay && x.replay.abandonment_rate)), borderColor: colors[2], spanGaps: true },
          { label: tr("占用率(回放)", "Occupancy (replay)"), data: rows.map((x) => pct(x.replay && x.replay.occupancy)), borderColor: colors[1], spanGaps: true },
        ] } };
    },
  };
  document.querySelectorAll("canvas[data-planning-chart]").forEach((canvas) => {
    const build = builders[canvas.dataset.planningChart];
    if (build) new Chart(canvas, build());
  });
})();
