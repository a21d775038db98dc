// Spot-check page: the transcript follows the recording. Clicking a line plays the recording from
// that moment; while it plays, the line being heard is marked. Transcript times count from the
// call's answer, the recording from its own start (data-offset: seconds between the two).
(function () {
  "use strict";
  var table = document.querySelector("table[data-seekable]");
  var audio = document.querySelector("[data-recordings] audio");
  if (!table || !audio) { return; }
  var offset = parseFloat(audio.getAttribute("data-offset") || "0") || 0;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-at]"));
  rows.forEach(function (row) {
    row.classList.add("seekable");
    row.title = row.title || "▶";
    row.addEventListener("click", function () {
      audio.currentTime = Math.max(0, parseFloat(row.getAttribute("data-at")) - offset);
      audio.play();
    });
  });
  audio.addEventListener("timeupdate", function () {
    var at = audio.currentTime + offset, current = null;
    rows.forEach(function (row) { if (parseFloat(row.getAttribute("data-at")) <= at) { current = row; } });
    rows.forEach(function (row) { row.classList.toggle("playing", row === current); });
  });
}());
