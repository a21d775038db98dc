// The reply box: guidance on every keystroke. Forbidden phrasing is underlined
// at its exact characters with the approved alternative beside it; suggestions insert with a key.
import { api, esc, marked, tr } from "./common.js";

const box = document.getElementById("reply");
const backdrop = document.getElementById("reply-backdrop");
const flagsEl = document.getElementById("flags");
const list = document.getElementById("suggestions");
let controller = null;
let flags = [];
let suggestions = [];
let dismissed = false;

const situation = (id) => (id ? ` (${id})` : "");

function renderBackdrop() {
  backdrop.innerHTML = marked(box.value, flags) + "\n";
  backdrop.scrollTop = box.scrollTop;
}

function renderFlags() {
  flagsEl.innerHTML = flags.map((flag, i) => {
    const alt = (flag.alternatives || [])[0];
    return `<div class="flag" data-flag="${i}">
      <span class="flag-what"><mark class="forbidden">${esc(flag.matched || box.value.slice(flag.js_start, flag.js_end))}</mark>
      ${tr("禁用语", "forbidden phrasing")}${esc(situation(flag.situation))}</span>
      ${alt ? `<span class="flag-alt">→ ${tr("建议", "say instead")}: <q>${esc(alt)}</q>
      <button type="button" class="small" data-use-alt="${i}">${tr("替换", "Use")}</button></span>` : ""}
    </div>`;
  }).join("");
}

function renderSuggestions() {
  const show = suggestions.length > 0 && !dismissed;
  list.hidden = !show;
  list.innerHTML = suggestions.map((s, i) => `<li role="option" id="suggestion-${i}" tabindex="-1" data-index="${i}"
      aria-selected="false"><kbd>Alt+${i + 1}</kbd> <span class="s-text">${esc(s.text)}</span>
      <span class="muted small">${esc(s.situation || "")}</span></li>`).join("");
}

function render(data) {
  list.dataset.source = "agent";
  flags = data.flags || [];
  suggestions = data.suggestions || [];
  renderBackdrop();
  renderFlags();
  renderSuggestions();
  box.setAttribute("aria-invalid", flags.length ? "true" : "false");
}

export async function guide() {
  const text = box.value;
  if (controller) controller.abort();
  renderBackdrop();
  if (!text.trim()) {
    if (list.dataset.source !== "caller") render({ flags: [], suggestions: [] });
    return;
  }
  controller = new AbortController();
  try {
    const data = await api("/console/api/guide", { text }, { signal: controller.signal });
    if (box.value === text) render(data);  // a later keystroke has its own request
  } catch (error) {
    if (error.name !== "AbortError") flagsEl.textContent = error.message;
  }
}

// What the caller just said drives the suggestions too: they replace the list while the agent
// has not started typing (what the agent types takes over again on the next keystroke).
export function fromCaller(items) {
  if (box.value.trim() || !items || !items.length) return;
  suggestions = items;
  dismissed = false;
  list.dataset.source = "caller";
  renderSuggestions();
}

function insert(index) {
  const chosen = suggestions[index];
  if (!chosen) return;
  box.value = chosen.text;
  dismissed = true;
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
  guide();
}

function focusOption(index) {
  const items = [...list.querySelectorAll("[role=option]")];
  if (!items.length) return;
  const i = (index + items.length) % items.length;
  items.forEach((item, j) => item.setAttribute("aria-selected", String(j === i)));
  items[i].focus();
}

function dismiss() {
  dismissed = true;
  renderSuggestions();
  box.focus();
}

export function initReply() {
  box.addEventListener("input", () => { dismissed = false; guide(); });
  box.addEventListener("scroll", () => { backdrop.scrollTop = box.scrollTop; });
  box.addEventListener("keydown", (event) => {
    if (event.altKey && /^[1-9]$/.test(event.key)) {
      event.preventDefault();
      insert(Number(event.key) - 1);
    } else if (event.key === "Escape") {
      dismiss();
    } else if (!list.hidden && ((event.key === "Tab" && !event.shiftKey)
        || (event.key === "ArrowDown" && box.selectionStart === box.value.length))) {
      event.preventDefault();
      focusOption(0);
    }
  });
  list.addEventListener("keydown", (event) => {
    const current = Number(document.activeElement?.dataset?.index ?? 0);
    if (event.key === "ArrowDown") { event.preventDefault(); focusOption(current + 1); }
    else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (current === 0) box.focus(); else focusOption(current - 1);
    } else if (event.key === "Enter" || event.key === " ") { event.preventDefault(); insert(current); }
    else if (event.key === "Escape") { event.preventDefault(); dismiss(); }
    else if (event.altKey && /^[1-9]$/.test(event.key)) { event.preventDefault(); insert(Number(event.key) - 1); }
  });
  list.addEventListener("click", (event) => {
    const item = event.target.closest("[role=option]");
    if (item) insert(Number(item.dataset.index));
  });
  flagsEl.addEventListener("click", (event) => {
    const button = event.target.closest("[data-use-alt]");
    if (!button) return;
    const flag = flags[Number(button.dataset.useAlt)];
    const alt = (flag?.alternatives || [])[0];
    if (!alt) return;
    box.value = box.value.slice(0, flag.js_start) + alt + box.value.slice(flag.js_end);
    box.focus();
    guide();
  });
  const speak = document.getElementById("speak-btn");
  if (speak) {
    speak.addEventListener("click", async () => {
      if (!box.value.trim()) return;
      try {
        await api("/console/api/speak", { text: box.value });
        box.value = "";
        guide();
      } catch (error) {
        flagsEl.textContent = error.message;
      }
    });
  }
}
