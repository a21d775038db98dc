// Report charts with Chart.js (served from the app: vendor/chart.umd.js, MIT). A page puts its
// data in <script type="application/json" id="report-charts"> and canvases with data-chart="name".
// Plain script (no module) so the monthly report's exported HTML can inline it.
(function () {
  "use strict";
  const lang = document.body.dataset.lang || document.documentElement.lang || "zh-CN";
  const tr = (zh, en) => (lang === "en" ? en : zh);
  const pct = (v) => (v == null ? null : Math.round(v * 1000) / 10);
  const colors = ["#0b5cad", "#1a7f37", "#b42318", "#9a6700", "#6f42c1", "#5b6470", "#0a7d8c", "#c2410c"];
  const base = (extra) => Object.assign({
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: "bottom" } },
  }, extra || {});
  const kindLabel = (k) => ({
    repair: tr("报修", "Repair"), complaint: tr("投诉", "Complaint"), inquiry: tr("咨询", "Inquiry"),
    routine: tr("常规服务", "Routine"), message: tr("留言", "Message"), manager_callback: tr("经理回电", "Manager call-back"),
    recovery: tr("挂断回访", "Recovery"), follow_up: tr("跟进", "Follow-up"),
  }[k] || k);
  const itemLabel = (k) => ({
    survey_timeliness: tr("及时性", "Timeliness"), survey_attitude: tr("服务态度", "Attitude"),
    survey_quality: tr("维修质量", "Quality"),
  }[k] || k);
  const stateColors = { available: colors[1], busy: colors[2], wrap_up: colors[3], away: colors[5], offline: "#c9ced6" };
  const stateLabel = (k) => ({
    available: tr("空闲", "Available"), busy: tr("忙碌", "Busy"), wrap_up: tr("话后整理", "Wrap-up"),
    away: tr("离开", "Away"), offline: tr("离线", "Offline"),
  }[k] || k);

  // Survey questions in the order the survey asks them (JSON objects may arrive re-sorted).
  const satisfactionItems = (d) => (d.satisfaction_order || Object.keys(d.satisfaction)).filter((k) => k in d.satisfaction);

  const builders = {
    daily: (d) => ({
      type: "bar",
      data: {
        labels: d.daily.map((x) => x.day.slice(5)),
        datasets: [
          { label: tr("来电", "Calls in"), data: d.daily.map((x) => x.in), backgroundColor: colors[0], yAxisID: "y" },
          { label: tr("接听", "Answered"), data: d.daily.map((x) => x.answered), backgroundColor: colors[1], yAxisID: "y" },
          { label: tr("放弃", "Abandoned"), data: d.daily.map((x) => x.abandoned), backgroundColor: colors[2], yAxisID: "y" },
          { label: tr("服务水平 %", "Service level %"), data: d.daily.map((x) => pct(x.service_level)), type: "line",
            borderColor: colors[3], backgroundColor: colors[3], yAxisID: "y1", spanGaps: true },
        ],
      },
      options: base({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
        y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } }),
    }),
    cases: (d) => ({
      type: "bar",
      data: { labels: Object.keys(d.cases).map(kindLabel),
        datasets: [{ label: tr("案件数", "Cases"), data: Object.values(d.cases), backgroundColor: colors }] },
      options: base({ plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
    }),
    agents: (d) => ({
      type: "bar",
      data: { labels: d.by_agent.map((a) => a.display_name),
        datasets: [
          { label: tr("接听", "Answered"), data: d.by_agent.map((a) => a.answered_in + a.answered_out), backgroundColor: colors[0], yAxisID: "y" },
          { label: tr("平均处理时长 (秒)", "AHT (s)"), data: d.by_agent.map((a) => a.aht_s && Math.round(a.aht_s)), backgroundColor: colors[3], yAxisID: "y1" },
        ] },
      options: base({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
        y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } }),
    }),
    satisfaction: (d) => ({
      type: "bar",
      data: { labels: satisfactionItems(d).map(itemLabel),
        datasets: [{ label: tr("各项满意率 %", "Per-item rate %"), data: satisfactionItems(d).map((k) => pct(d.satisfaction[k])), backgroundColor: colors[1] }] },
      options: base({ plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 100 } } }),
    }),
    reassurances: (d) => ({
      type: "bar",
      data: { labels: d.reassurances.map((r) => (r.wording && r.wording.length > 28 ? `${r.wording.slice(0, 27)}…` : r.wording || r.wording_id)),
        datasets: [
          { label: tr("安抚次数", "Reassurances"), data: d.reassurances.map((r) => r.prompts), backgroundColor: colors[0] },
          { label: tr("30 秒内挂断", "Abandoned within 30 s"), data: d.reassurances.map((r) => r.abandoned_within), backgroundColor: colors[2] },
        ] },
      options: base({ indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }),
    }),
    complaints: (d) => ({
      type: "doughnut",
      data: { labels: [tr("已满意", "Satisfied"), tr("未满意", "Not yet satisfied"), tr("待回访", "Awaiting call-back")],
        datasets: [{ data: [d.complaints.satisfied, d.complaints.not_satisfied, d.complaints.awaiting_callback],
          backgroundColor: [colors[1], colors[2], colors[5]] }] },
      options: base(),
    }),
    states: (d) => ({
      type: "doughnut",
      data: { labels: Object.keys(d.states).map(stateLabel),
        datasets: [{ data: Object.values(d.states), backgroundColor: Object.keys(d.states).map((k) => stateColors[k] || colors[5]) }] },
      options: base({ plugins: { legend: { position: "right" } } }),
    }),
    waits: (d) => ({
      type: "bar",
      data: { labels: [tr("预计(首次播报)", "Announced (first)"), tr("实际", "Actual")],
        datasets: [{ label: tr("平均秒数", "Mean seconds"), backgroundColor: [colors[0], colors[3]],
          data: [d.waits.mean_announced_s, d.waits.mean_actual_s].map((v) => (v == null ? 0 : Math.round(v))) }] },
      options: base({ plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }),
    }),
  };

  const charts = {};
  function render(data) {
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const name = canvas.dataset.chart;
      if (!builders[name] || !window.Chart) return;
      const spec = builders[name](data);
      if (charts[name]) {
        charts[name].data = spec.data;
        charts[name].update("none");
      } else {
        charts[name] = new window.Chart(canvas, spec);
      }
      canvas.dataset.rendered = "1";
    });
  }
  window.HotlineCharts = { render, charts, stateLabel };
  const block = document.getElementById("report-charts");
  if (block) render(JSON.parse(block.textContent || "{}"));
})();
