// Cases page: a lead or admin reveals a contact number (H25); the server audits each reveal.
import { api } from "./common.js";

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-reveal-case]");
  if (!button) return;
  try {
    const data = await api("/console/api/reveal", { case_id: Number(button.dataset.revealCase) });
    document.querySelector(`[data-number="${button.dataset.revealCase}"]`).textContent = data.number;
    button.remove();
  } catch (error) {
    button.textContent = error.message;
  }
});
