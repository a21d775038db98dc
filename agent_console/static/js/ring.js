// The ring of an incoming call: a looped sound at console.ring_volume and, while the desk
// page is hidden (another tab, minimised), a browser notification with the caller's details.
import { config, tr } from "./common.js";

const audio = () => document.getElementById("ring-audio");
let ringingCall = null;
let details = null;
let notice = null;

// Browsers allow sound and ask for notification permission only after a click or key press.
function unlock() {
  if ("Notification" in window && config.ring_notification && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
  if (ringingCall !== null && document.body.dataset.ring === "blocked") playSound();
}

function playSound() {
  const el = audio();
  if (!el || !(config.ring_volume > 0)) { document.body.dataset.ring = "muted"; return; }
  el.volume = config.ring_volume;
  el.currentTime = 0;
  el.play().then(() => {
    document.body.dataset.ring = "playing";
    document.getElementById("ring-sound-hint").hidden = true;
  }).catch(() => {
    document.body.dataset.ring = "blocked";
    document.getElementById("ring-sound-hint").hidden = false;
  });
}

function notify() {
  if (!details || notice || !document.hidden || !config.ring_notification) return;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    notice = new Notification(tr("来电振铃中", "Incoming call"), { body: details, tag: "hotline-ring", requireInteraction: true });
    notice.onclick = () => { window.focus(); notice?.close(); };
    document.body.dataset.notified = String(Number(document.body.dataset.notified || 0) + 1);
  } catch (error) { notice = null; }
}

function stop() {
  const el = audio();
  if (el) { el.pause(); el.currentTime = 0; }
  document.body.dataset.ring = "off";
  document.getElementById("ring-sound-hint").hidden = true;
  if (notice) { notice.close(); notice = null; }
}

// Called on every desk update: `call` is the ringing card (or null), `text` its one-line summary.
export function ringFor(call, text) {
  const id = call && call.ringing ? call.call_id : null;
  details = id === null ? null : text;
  if (id === ringingCall) return;
  stop();
  ringingCall = id;
  if (id === null) return;
  playSound();
  notify();
}

export function initRing() {
  document.body.dataset.ring = "off";
  document.addEventListener("click", unlock, { capture: true });
  document.addEventListener("keydown", unlock, { capture: true });
  document.addEventListener("visibilitychange", () => { if (ringingCall !== null) notify(); });
}
