// Small behaviours shared by every page. No inline script anywhere (CSP).
(function () {
  "use strict";
  // Buttons marked data-confirm ask before submitting their form.
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    var msg = btn && btn.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
