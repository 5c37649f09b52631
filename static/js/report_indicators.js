// The incident page's Indicators section: "Copy refanged" puts the live value on the
// clipboard (the page shows it defanged, never as a link). Without the clipboard API
// (plain http), the value is shown selected for Ctrl+C.
import { $ } from "./dom.js";
import { _ } from "./i18n.js";

const section = $(".report-indicators");
if (section) {
  section.addEventListener("click", (e) => {
    const b = e.target.closest("[data-copy]");
    if (!b) return;
    const value = b.getAttribute("data-copy");
    const done = () => { b.textContent = _("Copied"); setTimeout(() => { b.textContent = _("Copy refanged"); }, 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(done, () => show(b, value));
    else show(b, value);
  });
}

function show(b, value) {
  let box = b.parentElement.querySelector("input.copy-box");
  if (!box) {
    box = document.createElement("input");
    box.className = "copy-box";
    box.readOnly = true;
    box.dir = "ltr";
    box.setAttribute("aria-label", _("Refanged value, selected for copying"));
    b.parentElement.appendChild(box);
  }
  box.value = value;
  box.focus();
  box.select();
}
