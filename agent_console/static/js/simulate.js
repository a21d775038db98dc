// "Simulate a caller": place a call into the simulator and watch its timeline live (SSE).
import { api, esc, tr } from "./common.js";

const $ = (id) => document.getElementById(id);
let sid = null;
let stream = null;

function line(entry) {
  const { t, verb, ...rest } = entry;
  const detail = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
  $("sim-log").insertAdjacentHTML("beforeend", `<li>[${Number(t ?? 0).toFixed(1)}s] <strong>${esc(verb)}</strong> ${esc(detail)}</li>`);
  if (verb === "recording" && rest.event === "completed" && /^RE\w+$/.test(rest.recording_sid || "")) {
    // the finished call recording, through the console's audited proxy (leads, admins, the agent who took it)
    $("sim-log").lastElementChild.insertAdjacentHTML("beforeend",
      ` <audio controls preload="none" src="/console/recordings/${rest.recording_sid}.wav"></audio>`);
  }
  $("sim-log").lastElementChild.scrollIntoView({ block: "nearest" });
}

function follow(callSid) {
  if (stream) stream.close();
  sid = callSid;
  $("sim-sid").textContent = callSid;
  $("sim-log").innerHTML = "";
  stream = new EventSource(`/console/simulate/calls/${callSid}/stream`);
  stream.addEventListener("entry", (e) => line(JSON.parse(e.data)));
  stream.addEventListener("end", (e) => {
    line({ t: "", verb: tr("结束", "ended"), ...JSON.parse(e.data) });
    stream.close();
  });
}

$("sim-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = event.target;
  const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
  try {
    const out = await api("/console/simulate/calls", {
      from: f.from.value, press: f.press.value, say: lines(f.say.value), utterances: lines(f.utterances.value),
    });
    $("sim-message").textContent = `${tr("已拨出", "Placed")} ${out.call_sid}` + (out.note ? ` — ${out.note}` : "");
    follow(out.call_sid);
  } catch (error) {
    $("sim-message").textContent = error.message;
  }
});

document.querySelectorAll("[data-act]").forEach((button) => button.addEventListener("click", async () => {
  if (!sid) return;
  try {
    await api(`/console/simulate/calls/${sid}/${button.dataset.act}`, { value: $("sim-value").value });
    $("sim-value").value = "";
  } catch (error) {
    $("sim-message").textContent = error.message;
  }
}));
