/* Search-as-you-type pickers, shared by the hotline's intake page and the public portal.

   Every <input data-combobox="ID"> becomes a WAI-ARIA 1.2 combobox ("list autocomplete
   with automatic selection"); ID names the <script type="application/json"> that holds
   its options ({v: value, d: display, h: hint, s: search keys, a: abbreviation keys}).
   Typing filters the options by the rule of qinqing.pickers.search_options: the typed
   text inside a search key (code, label, pinyin, pinyin initials), then, from two
   characters on, the options it abbreviates (its characters in order in a label or its
   initials: 审批局 or spj for 行政审批服务管理局). The first match is highlighted; ↑/↓
   move, Enter or Tab take the highlighted one, Escape closes.

   Without this script the input is a plain text box that takes a full name (or a code on
   the staff side), which the server resolves the same way; a list="…" the input has (a
   datalist, the browser's own suggestions) is dropped once this picker takes over. */
(function () {
  "use strict";

  var ABBREVIATION_MIN = 2;

  function normalise(text) {
    return (text || "").toLowerCase().replace(/[\s/／·、,，\-_()（）“”"]+/g, "");
  }

  function inOrder(query, key) {
    var at = 0;
    for (var i = 0; i < query.length; i++) {
      at = key.indexOf(query[i], at);
      if (at === -1) return false;
      at += 1;
    }
    return true;
  }

  function search(options, query) {
    var plain = [];
    var shortened = [];
    options.forEach(function (o) {
      if (o.s.indexOf(query) !== -1) {
        plain.push(o);
      } else if (o.a && query.length >= ABBREVIATION_MIN &&
                 o.a.split("\n").some(function (key) { return inOrder(query, key); })) {
        shortened.push(o);
      }
    });
    return plain.concat(shortened);
  }

  function setupPicker(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var source = document.getElementById(input.dataset.combobox);
    if (!list || !source) return;
    var options = JSON.parse(source.textContent);
    var shown = [];
    var active = -1;
    input.removeAttribute("list");

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
        if (option.h) {
          var hint = document.createElement("small");
          hint.textContent = option.h;
          li.appendChild(hint);
        }
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
      shown = !query || picked ? options.slice() : search(options, query);
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

  function setup() {
    document.querySelectorAll("input[data-combobox]").forEach(setupPicker);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
