/* Insights filters: a period and dates cannot both apply. Picking a period clears the dates; typing a date
   switches the period to "Dates below". Without this script the server lets the dates win. */
(function () {
  "use strict";
  document.querySelectorAll("form.insights-filters").forEach(function (form) {
    var period = form.querySelector("[name=period]");
    var dates = form.querySelectorAll("[name=since], [name=until]");
    if (!period) return;
    period.addEventListener("change", function () {
      if (period.value !== "custom") dates.forEach(function (input) { input.value = ""; });
    });
    dates.forEach(function (input) {
      input.addEventListener("change", function () { if (input.value) period.value = "custom"; });
    });
  });
})();
