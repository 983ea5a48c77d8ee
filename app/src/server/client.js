// Plugboard's page script (a template: the server fills in __JS__ and __WASM__).
//
// Pages are rendered on the server and work as plain HTML. Once the browser is idle this
// script loads the WASM and hydrates the page's islands (`<leptos-island>`, Leptos'
// `#[island]` components): the only parts with client-side behaviour. From then on it
// moves between pages without a page load: a same-origin link or form is fetched and the
// answer's body replaces this one, whose islands are then hydrated in turn. A form post
// comes back through the server function's redirect (to the page it was posted from, or
// where the server sends it), so an action's result is the server's fresh page.
const js = __JS__;
const wasm = __WASM__;

let app = null;
let latest = 0;

/** Hydrates each island under `root`; a lazy island's chunk may have to load first. */
function hydrateIslands(root) {
  const pending = [];
  for (const island of root.querySelectorAll("leptos-island")) {
    const hydrate = app[island.dataset.component];
    if (typeof hydrate === "function") {
      pending.push(Promise.resolve(hydrate(island)));
    } else {
      console.error(`Plugboard: no WASM for the island ${island.dataset.component}`);
    }
  }
  return Promise.all(pending);
}

/** The link a click follows here, or null when the browser should follow it itself. */
function followedLink(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return null;
  }
  const link = event.composedPath().find((node) => node instanceof HTMLAnchorElement);
  if (!link || !link.href || link.target || link.hasAttribute("download") || link.relList.contains("external")) {
    return null;
  }
  const url = new URL(link.href);
  if (url.origin !== location.origin) return null;
  // A jump within this page.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return null;
  return url;
}

/**
 * The request a form submission makes here, or null when the browser should submit it:
 * GET forms, and posts to a server function (`/rpc/…`, which answer a plain post with a
 * redirect to the page to show). Other posts (a file upload, Connect, which leaves for
 * the plugin's site) are the browser's.
 */
function submission(event) {
  if (event.defaultPrevented) return null;
  const form = event.target;
  const submitter = event.submitter;
  const method = (submitter?.getAttribute("formmethod") || form.getAttribute("method") || "get").toUpperCase();
  // Attributes, not properties: a field named "action" would shadow `form.action`.
  const action = new URL(submitter?.getAttribute("formaction") || form.getAttribute("action") || location.href, location.href);
  const multipart = (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
  if (form.getAttribute("target") || "browserSubmits" in form.dataset || action.origin !== location.origin || multipart) {
    return null;
  }
  const fields = new URLSearchParams(new FormData(form, submitter));
  if (method === "GET") {
    action.search = fields.toString();
    return new Request(action);
  }
  if (method === "POST" && action.pathname.startsWith("/rpc/")) return new Request(action, { method: "POST", body: fields });
  return null;
}

/**
 * Fetches a page and puts it in place of this one; a newer navigation wins. `browser`
 * does what the browser would have done, for when this cannot: the network failed, or
 * the answer is no page of the app's (a download, the consent screen).
 */
/** Puts back into `form` what was typed in a refused submission (`typed`, its FormData). */
function refill(form, typed) {
  const seen = new Map();
  for (const field of form.elements) {
    if (!field.name || ["password", "file", "hidden", "submit", "button", "reset"].includes(field.type)) continue;
    const values = typed.getAll(field.name).filter((value) => typeof value === "string");
    if (field.type === "checkbox" || field.type === "radio") {
      field.checked = values.includes(field.value);
    } else if (field.multiple && field.options) {
      for (const option of field.options) option.selected = values.includes(option.value);
    } else {
      const nth = seen.get(field.name) ?? 0;
      seen.set(field.name, nth + 1);
      if (nth < values.length) field.value = values[nth];
    }
  }
}

async function navigate(request, browser, { restoring = false, form = null } = {}) {
  const mine = ++latest;
  const from = location.href;
  request.headers.set("Accept", "text/html");
  let response;
  try {
    response = await fetch(request);
  } catch {
    browser();
    return;
  }
  const leave = () => (response.redirected ? location.assign(response.url) : browser());
  if (!(response.headers.get("content-type") || "").startsWith("text/html")) {
    leave();
    return;
  }
  const html = await response.text();
  if (mine !== latest) return;
  const next = new DOMParser().parseFromString(html, "text/html");
  if (!next.querySelector("script[data-page-script]")) {
    leave();
    return;
  }
  // A refused post comes back to its page with `?__path=…&__err=…`, which the server
  // reads to show the error: the address keeps neither, and the form gets back what
  // was typed in it, matched by its place among the forms with its action.
  const to = new URL(response.url);
  const refused = to.searchParams.has("__err");
  to.searchParams.delete("__path");
  to.searchParams.delete("__err");
  // Islands that read what the server read for them (resources serialized into the
  // page's inline scripts, which this document cannot run under its own nonce) need the
  // page loaded as a page.
  if ([...next.body.querySelectorAll("script")].some((script) => script.textContent.includes("__RESOLVED_RESOURCES["))) {
    if (restoring) location.replace(to);
    else location.assign(to);
    return;
  }
  const sameAction = (f) => f.getAttribute("action") === form?.getAttribute("action");
  const place = form ? [...document.forms].filter(sameAction).indexOf(form) : -1;
  const typed = form ? new FormData(form) : null;
  document.title = next.title;
  document.body.replaceChildren(...next.body.childNodes);
  if (refused && place >= 0) {
    const again = [...document.forms].filter(sameAction)[place];
    if (again) refill(again, typed);
  }
  if (!restoring) {
    // A form posted back to its own page reads as that page changing in place.
    const inPlace = to.href === from || (request.method === "POST" && to.pathname === new URL(from).pathname);
    if (inPlace) {
      history.replaceState(null, "", to);
    } else {
      history.pushState(null, "", to);
      const target = to.hash && document.getElementById(decodeURIComponent(to.hash.slice(1)));
      if (target) target.scrollIntoView();
      else window.scrollTo(0, 0);
    }
  }
  await hydrateIslands(document.body);
}

function listen() {
  document.addEventListener("click", (event) => {
    const url = followedLink(event);
    if (!url) return;
    event.preventDefault();
    navigate(new Request(url), () => location.assign(url));
  });
  document.addEventListener("submit", (event) => {
    const request = submission(event);
    if (!request) return;
    event.preventDefault();
    const { target: form, submitter } = event;
    const browser = () => {
      form.dataset.browserSubmits = "";
      form.requestSubmit(submitter);
    };
    navigate(request, browser, { form });
  });
  addEventListener("popstate", () => navigate(new Request(location.href), () => location.reload(), { restoring: true }));
}

async function start() {
  const module = await import(js);
  await module.default({ module_or_path: wasm });
  module.hydrate();
  app = module;
  await hydrateIslands(document.body);
  listen();
  // Lets end-to-end tests (and curious people) know the page is interactive.
  document.body.setAttribute("data-hydrated", "true");
}

if ("requestIdleCallback" in window) requestIdleCallback(start, { timeout: 2000 });
else setTimeout(start, 0);
