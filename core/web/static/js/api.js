// The console pages' JSON calls (an ES module, served at /console/shell/js/api.js): same-origin,
// `X-Requested-With: fetch` so the server answers errors in JSON, and the page's CSRF token
// (the base template's <meta name="csrf-token">) on every call with a body. A reply that is not
// 2xx throws an Error carrying the server's `error` text, the HTTP status and the JSON body.
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export async function api(path, body, opts = {}) {
  const options = {
    method: opts.method || (body === undefined ? "GET" : "POST"),
    headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    credentials: "same-origin",
    signal: opts.signal,
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrf();
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}
