// The room's Evidence panel: the files the viewer may see (size, SHA-256 to copy,
// marking, uploader, time, download), kept live by the room's "file" events, and
// the upload form (multipart to POST /api/v1/rooms/<id>/files). Downloads are
// always attachments: the platform never opens a file itself.
import { $, el, bdi, fill, showError, clearError, errorText } from "./dom.js";
import { _ } from "./i18n.js";
import { dateTime } from "./time.js";

const TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];
const csrfMeta = document.querySelector('meta[name="csrf-token"]');

export function formatSize(n) {
  if (n < 1024) return n + " B";
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return v.toFixed(v < 10 ? 1 : 0) + " " + units[i];
}

/** "Copy" buttons carrying the text to copy in data-copy (a SHA-256). */
export function copyButtons(root) {
  root.addEventListener("click", (e) => {
    const b = e.target.closest("[data-copy]");
    if (!b) return;
    const text = b.getAttribute("data-copy");
    const done = () => { b.textContent = _("Copied"); setTimeout(() => { b.textContent = _("Copy"); }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => selectSibling(b));
    } else {
      selectSibling(b);
    }
  });
}

// Without the clipboard API (plain http): select the hash, so Ctrl+C copies it.
function selectSibling(b) {
  const code = b.parentElement.querySelector("code");
  if (!code) return;
  const range = document.createRange();
  range.selectNodeContents(code);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  b.textContent = _("Selected: Ctrl+C");
}

export function fileItem(f, zone, canRemove) {
  const li = el("li", { class: "file-item", id: "file-" + f.id, "data-error-host": "" });
  li.appendChild(el("div", { class: "file-line" }, [
    el("a", { class: "file-name", href: f.download_url, download: "" }, [bdi(f.name)]),
    el("span", { class: "tlp tlp-" + f.tlp, text: "TLP:" + f.tlp }),
    f.sample ? el("span", { class: "tag tag-danger", text: _("Malware sample") }) : null,
    el("span", { class: "muted small", text: formatSize(f.size) }),
  ]));
  li.appendChild(el("div", { class: "file-sha" }, [
    el("span", { class: "muted small", text: "SHA-256" }), " ",
    el("code", { class: "sha", tabindex: "0", "aria-label": _("SHA-256 of %(name)s", { name: f.name }), text: f.sha256 }),
    el("button", { class: "btn btn-quiet btn-small", type: "button", "data-copy": f.sha256, text: _("Copy") }),
  ]));
  const meta = el("div", { class: "muted small" }, [bdi(f.uploaded_by.name), " (", bdi(f.org.name), ") · ",
    el("time", { datetime: f.uploaded_at, text: dateTime(f.uploaded_at, zone) })]);
  if (f.sample) meta.appendChild(document.createTextNode(" · " + _("downloads as an AES zip, password “infected”")));
  li.appendChild(meta);
  if (canRemove) {
    li.appendChild(el("button", { class: "btn btn-quiet btn-small", type: "button", "data-remove-file": String(f.id), text: _("Remove") }));
  }
  return li;
}

export function install(R) {
  const box = $("[data-files]");
  if (!box) return;
  const files = new Map((R.boot.files || []).map((f) => [f.id, f]));

  R.registerRenderer("file", (ev, li) => {
    li.appendChild(R.authorLine(ev, "file"));
    if (ev.op === "removed") {
      li.appendChild(el("div", { class: "ev-body", text: _("removed file #%(id)s", { id: ev.file_id }) }));
      return;
    }
    const f = ev.file || {};
    const details = [formatSize(f.size || 0), "TLP:" + f.tlp].concat(f.sample ? [_("malware sample")] : []).join(", ");
    li.appendChild(el("div", { class: "ev-body" }, fill(_("attached %(file)s (%(details)s)"), {
      file: el("a", { href: "#file-" + f.id }, [bdi(f.name || _("a file"))]), details })));
  });

  function render() {
    const me = R.me, lead = R.role() === "lead";
    const list = [...files.values()].sort((a, b) => b.id - a.id);
    box.replaceChildren(...(list.length ? list.map((f) => fileItem(f, R.zone, R.canWrite() && (lead || f.uploaded_by.id === me.id)))
      : [el("li", { class: "muted small", text: _("No files yet.") })]));
  }

  R.onEvent((ev) => {
    if (!ev || ev.kind !== "file") return;
    if (ev.op === "added" && ev.file) files.set(ev.file.id, ev.file);
    else if (ev.op === "removed") files.delete(ev.file_id);
    render();
  });
  R.onRoomChange(() => { render(); fillTlps(); });
  copyButtons(box);

  box.addEventListener("click", (e) => {
    const b = e.target.closest("[data-remove-file]");
    if (!b) return;
    clearError(b);
    b.disabled = true;
    R.api("DELETE", "/files/" + b.getAttribute("data-remove-file"))
      .catch((err) => { showError(b, err); b.disabled = false; });
  });

  const form = $("[data-file-form]");
  const tlpSel = form.querySelector("[name=tlp]");
  function fillTlps() {
    const floor = TLPS.indexOf(R.room().tlp);
    const current = tlpSel.value;
    tlpSel.replaceChildren(...TLPS.slice(floor).map((t) => el("option", { value: t, text: "TLP:" + t })));
    if (TLPS.indexOf(current) >= floor) tlpSel.value = current;
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    const input = form.querySelector("[name=file]");
    const chosen = input.files && input.files[0];
    if (!chosen) { showError(form, new Error(_("Choose a file first."))); return; }
    if (chosen.size > R.boot.file_max_bytes) {
      showError(form, new Error(_("Files are at most %(mb)s MB.", { mb: R.boot.file_max_mb }))); return;
    }
    const body = new FormData();
    body.append("file", chosen, chosen.name);
    body.append("tlp", tlpSel.value);
    body.append("sample", form.querySelector("[name=sample]").checked ? "true" : "false");
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const response = await fetch("/api/v1/rooms/" + R.room().id + "/files", {
        method: "POST", credentials: "same-origin", body,
        headers: { "X-CSRFToken": csrfMeta ? csrfMeta.content : "", "Accept": "application/json" },
      });
      let data = null;
      try { data = await response.json(); } catch (_e) { data = null; }
      if (!response.ok) throw new Error(errorText(data, response.status + " " + response.statusText));
      files.set(data.id, data);
      render();
      form.reset();
      fillTlps();
      form.closest("details").open = false;
    } catch (err) {
      showError(form, err.message === "Failed to fetch" ? new Error(_("The server could not be reached.")) : err);
    } finally {
      btn.disabled = false;
    }
  });
  fillTlps();
  render();
}
