// Keyboard shortcuts of the desk: one table drives the key handler and the "?" help overlay.
// Each entry acts only when its element is on the page and usable (Reveal: leads; Say it: simulator).
import { esc, tr } from "./common.js";

const $ = (id) => document.getElementById(id);
const usable = (el) => Boolean(el && !el.disabled && el.offsetParent !== null);
const press = (id) => () => { const el = $(id); if (usable(el)) { el.click(); return true; } return false; };

function editCaller() {
  const box = $("caller-edit");
  if (!box || box.offsetParent === null) return false;
  box.open = true;
  box.querySelector("input[name=surname]")?.focus();
  return true;
}

function openKeypad() {
  const box = $("keypad");
  if (!box || box.offsetParent === null) return false;
  box.open = true;
  $("keypad-digits")?.focus();
  return true;
}

function focusWrapUp() {
  const codes = $("wrapup-codes");
  if (!codes || codes.offsetParent === null) return false;
  (codes.querySelector("input:checked") || codes.querySelector("input"))?.focus();
  return true;
}

function focusOn(id) {
  return () => { const el = $(id); if (!el) return false; el.focus(); return true; };
}

function openTransfer() {
  const details = $("transfer");
  if (!details || details.hidden || details.offsetParent === null) return false;
  details.open = true;
  $("transfer-to")?.focus();
  return true;
}

function saveCase() {
  const form = $("case-form");
  if (!form) return false;
  form.requestSubmit();
  return true;
}

export const SHORTCUTS = [
  { keys: "Alt+A", code: "KeyA", target: "answer-btn", zh: "接听振铃中的来电", en: "Answer the ringing call", run: press("answer-btn") },
  { keys: "Alt+H", code: "KeyH", target: "hangup-btn", zh: "挂断", en: "Hang up", run: press("hangup-btn") },
  { keys: "Alt+O", code: "KeyO", target: "hold-btn", zh: "保持 / 恢复通话(来电人听到等候提示)", en: "Hold / resume the caller (they hear the hold line)", run: press("hold-btn") },
  { keys: "Alt+U", code: "KeyU", target: "mute-btn", zh: "静音 / 取消静音(来电人听不到您)", en: "Mute / unmute yourself", run: press("mute-btn") },
  { keys: "Alt+N", code: "KeyN", target: "keypad", zh: "拨号键盘(向来电方发送按键音)", en: "Keypad: send tones to the caller", run: openKeypad },
  { keys: "Alt+W", code: "KeyW", target: "wrapup-codes", zh: "话后结果(选择后保存)", en: "Wrap-up result: pick one, then save", run: focusWrapUp },
  { keys: "Alt+T", code: "KeyT", target: "transfer", zh: "转接:热转接(先咨询,再三方)或冷转接,转给同事、班长或队列", en: "Transfer: warm (consult, then three-way) or cold, to an agent, the lead or a queue", run: openTransfer },
  { keys: "Alt+M", code: "KeyM", target: "manager-btn", zh: "转管理人员(或登记管理人员回电)", en: "Manager: transfer to a lead or open a call-back", run: press("manager-btn") },
  { keys: "Alt+P", code: "KeyP", target: "recording-btn", zh: "暂停 / 恢复录音(记入审计)", en: "Pause / resume the recording (audited)", run: press("recording-btn") },
  { keys: "Alt+E", code: "KeyE", target: "caller-edit", zh: "修改来电人信息(贵姓、称谓、城区)", en: "Edit the caller's surname, title and district", run: editCaller },
  { keys: "Alt+V", code: "KeyV", target: "reveal-btn", zh: "显示完整号码(记入审计)", en: "Reveal the full number (audited)", run: press("reveal-btn") },
  { keys: "Alt+R", code: "KeyR", target: "reply", zh: "到答复框", en: "Go to the reply box", run: focusOn("reply") },
  { keys: "Alt+K", code: "KeyK", target: "speak-btn", zh: "说出答复(模拟器)", en: "Say the reply on the line (simulator)", run: press("speak-btn") },
  { keys: "Alt+C", code: "KeyC", target: "case-kind", zh: "到工单表单", en: "Go to the case form", run: focusOn("case-kind") },
  { keys: "Alt+S", code: "KeyS", target: "case-form", zh: "保存工单", en: "Save the case", run: saveCase },
  { keys: "Alt+1 … Alt+3", target: "reply", zh: "插入第 1–3 条建议答复", en: "Insert suggestion 1–3" },
  { keys: "?", target: null, zh: "显示 / 关闭本帮助", en: "Show / close this help", run: () => toggleHelp() },
];

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function helpDialog() {
  let dialog = $("shortcut-help");
  if (dialog) return dialog;
  const rows = SHORTCUTS.filter((s) => s.target === null || $(s.target))
    .map((s) => `<tr data-keys="${esc(s.keys)}"><td><kbd>${esc(s.keys)}</kbd></td><td>${esc(tr(s.zh, s.en))}</td></tr>`).join("");
  document.body.insertAdjacentHTML("beforeend", `<dialog id="shortcut-help" class="shortcut-help" aria-labelledby="shortcut-help-h">
    <h2 id="shortcut-help-h">${tr("键盘快捷键", "Keyboard shortcuts")}</h2>
    <table><thead><tr><th>${tr("按键", "Keys")}</th><th>${tr("操作", "Action")}</th></tr></thead><tbody>${rows}</tbody></table>
    <p class="hint">${tr("Esc 关闭。输入文字时 ? 照常输入。", "Esc closes. While you type in a field, ? is just a character.")}</p>
    <form method="dialog"><button type="submit">${tr("关闭", "Close")}</button></form></dialog>`);
  dialog = $("shortcut-help");
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  return dialog;
}

export function toggleHelp() {
  const dialog = helpDialog();
  if (dialog.open) dialog.close(); else dialog.showModal();
  return true;
}

function onKey(event) {
  if (event.key === "?" && !event.altKey && !event.ctrlKey && !event.metaKey && !typing(event.target)) {
    event.preventDefault();
    toggleHelp();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const shortcut = SHORTCUTS.find((s) => s.code && s.code === event.code);
  if (shortcut && shortcut.run()) event.preventDefault();
}

export function initShortcuts() {
  document.addEventListener("keydown", onKey);
  $("shortcuts-btn")?.addEventListener("click", () => toggleHelp());
}
