// Live character counter for text boxes with a limit (data-max-chars, set by
// qinqing.limits.LimitedCharField instead of maxlength, which cut pastes silently).
// The server refuses a longer text and keeps it; this only shows the count as one types.
(function () {
  "use strict";
  var script = document.currentScript;
  var format = (script && script.dataset.format) || "%(n)s / %(max)s";
  var over = (script && script.dataset.over) || "";

  function attach(box) {
    var max = parseInt(box.getAttribute("data-max-chars"), 10);
    if (!max || box.dataset.counted) return;
    box.dataset.counted = "1";
    var out = document.createElement("small");
    out.className = "char-count";
    out.id = (box.id || "box") + "_count";
    out.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", out);
    function update() {
      var n = box.value.replace(/\r\n/g, "\n").length;
      out.textContent = format.replace("%(n)s", n).replace("%(max)s", max) +
        (n > max ? " " + over.replace("%(extra)s", n - max) : "");
      out.classList.toggle("over", n > max);
    }
    box.addEventListener("input", update);
    update();
  }

  function scan(root) {
    (root || document).querySelectorAll("textarea[data-max-chars]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(); });
  } else {
    scan();
  }
  // Forms that htmx swaps in get their counters too.
  document.addEventListener("htmx:afterSwap", function (e) { scan(e.target); });
})();
