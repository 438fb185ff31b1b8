/* The public forms' file chooser: checks the count and the sizes as soon as files are
   chosen. Too much would otherwise be refused by the server's request-size limit (nginx,
   web.limits) before the form is read, and what was typed would be lost with it. The
   server checks everything again (portal.forms.SubmitForm.clean_attachments); the type
   by content only the server can judge. */
(function () {
  "use strict";

  function setup() {
    document.querySelectorAll("input[type=file][data-max-files]").forEach(function (input) {
      var note = document.getElementById(input.id + "_check");
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
        var wrong = files.length > Number(input.dataset.maxFiles) ||
          files.some(function (f) { return f.size > Number(input.dataset.maxBytes); }) ||
          total > Number(input.dataset.maxTotal);
        if (note) note.hidden = !wrong;
        if (wrong) input.value = "";
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
