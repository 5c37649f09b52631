// The REST client of the pages: same-origin session, CSRF header on writes,
// errors as Error objects carrying the server's message and field reasons.
import { errorText } from "./dom.js";
import { _ } from "./i18n.js";

const meta = document.querySelector('meta[name="csrf-token"]');
const csrfToken = meta ? meta.content : "";

export async function api(method, path, body) {
  let response;
  try {
    response = await fetch("/api/v1" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (_e) {
    throw new Error(_("The server could not be reached. Check the connection and try again."));
  }
  let data = null;
  try { data = await response.json(); } catch (_e) { data = null; }
  if (!response.ok) {
    const err = new Error(errorText(data, `${response.status} ${response.statusText}`));
    err.status = response.status;
    err.data = data;
    throw err;
  }
  return data;
}
