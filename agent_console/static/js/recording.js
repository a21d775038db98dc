// The call card's recording button: pause while the caller reads out sensitive data, then resume.
// Shown only when calls are recorded (recording.enabled); every pause and resume is audited.
import { api, tr } from "./common.js";

const $ = (id) => document.getElementById(id);

function label(button, paused) {
  button.dataset.paused = paused ? "1" : "";
  button.querySelector("span").textContent = paused ? tr("恢复录音", "Resume recording") : tr("暂停录音", "Pause recording");
}

export function initRecording() {
  const button = $("recording-btn");
  if (!button) return;
  button.addEventListener("click", async () => {
    const action = button.dataset.paused ? "resume" : "pause";
    const status = $("card-message");
    try {
      const out = await api("/console/api/recording", { action });
      label(button, out.status === "paused");
      status.textContent = out.status === "paused" ? tr("录音已暂停", "Recording paused") : tr("录音已恢复", "Recording resumed");
      status.classList.remove("error");
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("error");
    }
  });
  // a new call starts recorded: reset the label whenever the card changes state
  new MutationObserver(() => { if ($("call-card").dataset.state !== "live") label(button, false); })
    .observe($("call-card"), { attributes: true, attributeFilter: ["data-state"] });
}
