/* The intake page's keyboard helpers. Without this script the page still works: the
   pickers are text boxes that take a code or a full label, and the form saves with its
   button.

   - Pickers: web/picker.js (shared with the public portal), loaded before this script.
   - Ctrl+Enter (⌘+Enter) saves from any field, the text areas included.
   - The "answer given now" box shows only for a consultation (or when it holds text). */
(function () {
  "use strict";

  function setupAnswer(form) {
    var kind = form.querySelector("#id_kind");
    var block = document.getElementById("answer-block");
    var answer = document.getElementById("id_answer");
    if (!kind || !block || !answer) return;
    var options = JSON.parse(document.getElementById("kind-options").textContent);
    function update() {
      var typed = kind.value.trim().toLowerCase();
      var option = options.find(function (o) {
        return o.v === typed || o.d.toLowerCase() === typed;
      });
      var consultation = option && option.v === block.dataset.kind;
      block.hidden = !consultation && !answer.value.trim() && !block.querySelector(".error");
    }
    kind.addEventListener("change", update);
    update();
  }

  function setup() {
    var form = document.getElementById("intake-form");
    if (!form) return;
    setupAnswer(form);
    // A form sent back for correcting: start at the first field to correct, not the phone.
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    var saving = false;
    form.addEventListener("submit", function (event) {
      // The idempotency key already makes a second submit return the same case; this
      // only spares the agent the wait for it.
      if (saving) { event.preventDefault(); return; }
      saving = true;
      var button = form.querySelector("button[type=submit]");
      if (button) button.setAttribute("aria-busy", "true");
    });
    // Back to a page kept in the browser's cache: it may be saved again (a new case only
    // if it was changed; the idempotency key tells).
    window.addEventListener("pageshow", function () { saving = false; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
