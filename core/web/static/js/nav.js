// The top bar's drop-downs (<details>): one open at a time; a click outside or Esc closes them.
(function () {
  "use strict";
  const groups = () => Array.from(document.querySelectorAll(".mainnav details"));
  groups().forEach((d) => d.addEventListener("toggle", () => {
    if (d.open) groups().forEach((other) => { if (other !== d) other.open = false; });
  }));
  document.addEventListener("click", (event) => {
    groups().forEach((d) => { if (d.open && !d.contains(event.target)) d.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    groups().forEach((d) => {
      if (d.open) { d.open = false; d.querySelector("summary").focus(); }
    });
  });
})();
