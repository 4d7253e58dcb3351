// The review's form shows the period shown: a quarter in its select, or a range in its
// dates. Picking one clears the other, so "Show" asks for what was picked (the server
// refuses a quarter and dates at once).
"use strict";
(function () {
  const quarter = document.getElementById("quarter");
  const dates = [document.getElementById("from"), document.getElementById("to")];
  if (!quarter || dates.some((d) => !d)) return;
  quarter.addEventListener("change", () => {
    if (quarter.value) dates.forEach((d) => { d.value = ""; });
  });
  dates.forEach((d) => d.addEventListener("change", () => {
    if (d.value) quarter.value = "";
  }));
})();
