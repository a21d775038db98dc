// Monthly report page: the print button and the month picker (no inline handlers: the app's
// Content-Security-Policy allows scripts from this origin only).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
  const picker = document.querySelector("[data-month-picker]");
  if (picker) {
    picker.addEventListener("submit", (event) => {
      event.preventDefault();
      if (picker.month.value) window.location.href = `${picker.dataset.monthPicker}/${picker.month.value}`;
    });
  }
})();
