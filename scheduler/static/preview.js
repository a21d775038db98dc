// Preview dialing (CSP: no inline scripts): shows the next due contact of the chosen preview
// campaign through the preview API; "Dial" places the call for the signed-in agent, "Skip" passes
// on the contact with a reason (the page's JSON routes, scheduler/preview_page.py). The number
// arrives masked for agents (the server decides). An ES module: JSON calls go through the web
// shell's `api` helper (CSRF header, errors as JSON).
import { api } from "/console/shell/js/api.js";

(function () {
  const root = document.querySelector("[data-preview]");
  if (!root) return;
  const base = root.dataset.preview;
  const $ = id => document.getElementById(id);
  let current = null;

  function cell(text) { const td = document.createElement("td"); td.textContent = text ?? "—"; return td; }

  function show(contact) {
    current = contact;
    $("pv-empty").hidden = !!contact;
    $("pv-contact").hidden = !contact;
    if (!contact) return;
    $("pv-name").textContent = contact.name || "—";
    $("pv-phone").textContent = contact.phone;
    $("pv-attempts").textContent = contact.attempts;
    $("pv-case").textContent = contact.case_ref || "—";
    $("pv-title").textContent = contact.title || "—";
    $("pv-note").textContent = contact.note || "—";
    $("pv-why").textContent = contact.why || "";
    $("pv-history").tBodies[0].replaceChildren(...contact.history.map(a => {
      const tr = document.createElement("tr");
      tr.append(cell(`${a.round}.${a.seq}`), cell(a.created_at), cell(a.status), cell(a.agent),
                cell(a.disposition), cell(a.result || a.error));
      return tr;
    }));
  }

  const campaign = () => $("pv-campaign").value;

  async function load() {
    try {
      show((await api(`${base}/${campaign()}/preview.json`)).contact);
    } catch (e) {
      show(null);
      $("pv-result").textContent = e.message;
    }
  }

  $("pv-campaign").addEventListener("change", () => { $("pv-result").textContent = ""; load(); });
  $("pv-dial").addEventListener("click", async () => {
    if (!current) return;
    $("pv-dial").disabled = true;
    try {
      const placed = await api(`${base}/${campaign()}/contacts/${current.id}/dial`, {});
      $("pv-result").textContent = `${document.documentElement.lang === "en" ? "Dialing" : "正在拨打"} ${current.name || current.phone} (#${placed.attempt_id})`;
      $("pv-result").dataset.attempt = placed.attempt_id;
      show(null);
    } catch (e) {
      $("pv-result").textContent = e.message;
    } finally {
      $("pv-dial").disabled = false;
    }
  });
  $("pv-skip").addEventListener("click", async () => {
    if (!current) return;
    try {
      const skipped = await api(`${base}/${campaign()}/contacts/${current.id}/skip`,
                                 {reason: $("pv-reason").value, note: $("pv-note-in").value});
      $("pv-result").textContent = skipped.why;
      $("pv-note-in").value = "";
      await load();
    } catch (e) {
      $("pv-result").textContent = e.message;
    }
  });
  load();
})();
