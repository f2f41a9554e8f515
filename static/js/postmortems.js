/* Post-mortem pages: add and remove formset rows in place, propose due dates from the horizon, show the
   won't-do reason only when it is needed, and print. Everything also works without this script. */
(function () {
  "use strict";

  function addMonths(date, months) {
    var day = date.getDate();
    var result = new Date(date.getFullYear(), date.getMonth() + months, 1);
    var last = new Date(result.getFullYear(), result.getMonth() + 1, 0).getDate();
    result.setDate(Math.min(day, last));
    return result;
  }

  function iso(date) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
  }

  // The guide's horizons, as the server proposes them when the date is left empty.
  function proposedDue(horizon) {
    var today = new Date();
    if (horizon === "immediate") { return iso(new Date(today.getFullYear(), today.getMonth(), today.getDate() + 7)); }
    return iso(addMonths(today, horizon === "short_term" ? 1 : 3));
  }

  function wireRow(row) {
    var remove = row.querySelector('input[name$="-DELETE"]');
    if (remove) {
      remove.addEventListener("change", function () { row.classList.toggle("is-removed", remove.checked); });
    }
    var horizon = row.querySelector('select[name$="-horizon"]');
    var due = row.querySelector('input[name$="-due_date"]');
    if (horizon && due) {
      horizon.addEventListener("change", function () {
        if (!due.value || due.value === due.dataset.proposed) {
          due.value = due.dataset.proposed = proposedDue(horizon.value);
        }
      });
    }
    var status = row.querySelector('select[name$="-status"]');
    var reason = row.querySelector('input[name$="-wont_do_reason"]');
    if (status && reason) {
      var field = reason.closest(".field");
      var sync = function () {
        field.hidden = status.value !== "wont_do" && !reason.value && !field.classList.contains("has-error");
      };
      status.addEventListener("change", sync);
      sync();
    }
  }

  function addRow(button) {
    var prefix = button.dataset.addRow;
    var category = button.dataset.category;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.querySelector('template[data-empty-row="' + prefix + '"]');
    var container = document.querySelector('[data-rows="' + (category ? prefix + "-" + category : prefix) + '"]');
    if (!total || !template || !container) { return false; }
    var index = Number(total.value);
    container.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = index + 1;
    var row = container.lastElementChild;
    if (category) {
      var bone = row.querySelector('[name="' + prefix + "-" + index + '-category"]');
      if (bone) { bone.value = category; }
    }
    if (prefix === "whys") {
      var step = row.querySelector('[name="whys-' + index + '-step"]');
      if (step) { step.value = container.querySelectorAll("[data-row]").length; }
    }
    wireRow(row);
    var first = row.querySelector('textarea, input:not([type="hidden"]):not([type="checkbox"]):not([type="number"]), select');
    if (first) { first.focus(); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add && addRow(add)) { event.preventDefault(); }
    if (event.target.closest("[data-print]")) { window.print(); }
  });

  document.querySelectorAll("[data-postmortem-form] [data-row]").forEach(wireRow);
})();
