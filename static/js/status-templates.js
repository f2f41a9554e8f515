// Fills the status update textarea from the guide's templates (pre-filled on the server, embedded as
// JSON). Without this script the template links reload the page with the text already in place.
(function () {
  "use strict";
  var data = document.getElementById("comm-templates");
  var form = document.querySelector("[data-update-form]");
  if (!data || !form) return;

  var templates = JSON.parse(data.textContent);
  var body = form.querySelector("textarea[name=body]");
  var lastKind = null;

  function audience() {
    var checked = form.querySelector("input[name=audience]:checked");
    return checked ? checked.value : "internal";
  }

  function isUntouchedTemplate(text) {
    return Object.keys(templates).some(function (kind) {
      return Object.keys(templates[kind]).some(function (aud) {
        return templates[kind][aud] === text;
      });
    });
  }

  form.querySelectorAll("[data-compose]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var kind = link.getAttribute("data-compose");
      var text = templates[kind][audience()];
      var current = body.value.replace(/\r\n/g, "\n");
      if (current.trim() && !isUntouchedTemplate(current) &&
          !window.confirm("Replace what you have written with the template?")) {
        return;
      }
      body.value = text;
      lastKind = kind;
      body.focus();
      body.setSelectionRange(0, 0);
      body.scrollTop = 0;
    });
  });

  form.querySelectorAll("input[name=audience]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      // Switching audience swaps an untouched template for the same template in the other voice.
      var current = body.value.replace(/\r\n/g, "\n");
      if (lastKind && isUntouchedTemplate(current)) body.value = templates[lastKind][audience()];
    });
  });
})();
