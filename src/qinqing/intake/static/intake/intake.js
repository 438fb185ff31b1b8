/* The intake page's keyboard helpers. Without this script the page still works: the
   pickers are text boxes that take a code or a full label, and the form saves with its
   button.

   - Pickers: the WAI-ARIA 1.2 combobox pattern ("list autocomplete with automatic
     selection"). Typing filters the options by their search keys (code, label, pinyin,
     pinyin initials: the same rule as intake.queries.search_options); the first match is
     highlighted; ↑/↓ move, Enter or Tab take the highlighted one, Escape closes.
   - Ctrl+Enter (⌘+Enter) saves from any field, the text areas included.
   - The "answer given now" box shows only for a consultation (or when it holds text). */
(function () {
  "use strict";

  function normalise(text) {
    return (text || "").toLowerCase().replace(/[\s/／·、,，\-_()（）]+/g, "");
  }

  function setupPicker(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var options = JSON.parse(document.getElementById(input.dataset.combobox).textContent);
    var shown = [];
    var active = -1;

    function render() {
      list.innerHTML = "";
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = list.dataset.none || "—";
        none.setAttribute("aria-disabled", "true");
        list.appendChild(none);
      }
      shown.forEach(function (option, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.appendChild(document.createTextNode(option.d));
        var hint = document.createElement("small");
        hint.textContent = option.h;
        li.appendChild(hint);
        // mousedown, not click: keep the focus in the input.
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          take(i);
        });
        list.appendChild(li);
      });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", list.id + "-" + active);
        var current = document.getElementById(list.id + "-" + active);
        if (current) current.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      var query = normalise(input.value);
      var picked = options.some(function (o) { return o.d === input.value; });
      // A value already picked shows the whole list again, not only itself.
      shown = !query || picked ? options.slice() : options.filter(function (o) {
        return o.s.indexOf(query) !== -1;
      });
      active = shown.length ? (picked ? shown.findIndex(function (o) { return o.d === input.value; }) : 0) : -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      render();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function take(i) {
      var option = shown[i];
      if (!option) return;
      input.value = option.d;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function move(step) {
      if (list.hidden) { open(); return; }
      if (!shown.length) return;
      active = (active + step + shown.length) % shown.length;
      render();
    }

    input.addEventListener("input", open);
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey) return;
      switch (event.key) {
        case "ArrowDown": event.preventDefault(); move(1); break;
        case "ArrowUp": event.preventDefault(); move(-1); break;
        case "Enter":
          if (!list.hidden && active >= 0) { event.preventDefault(); take(active); }
          break;
        case "Tab":
          if (!list.hidden && active >= 0 && !event.shiftKey) take(active);
          break;
        case "Escape":
          if (!list.hidden) { event.preventDefault(); close(); }
          break;
      }
    });
  }

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
    form.querySelectorAll("[data-combobox]").forEach(setupPicker);
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
