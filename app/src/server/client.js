// Plugboard's page script: a template, whose JS and WASM addresses the server fills in.
//
// Pages are rendered on the server and work as plain HTML. Once the browser is idle this
// script hydrates the page's islands (`<leptos-island>`, Leptos' `#[island]` components:
// the only parts with client-side behaviour), loading the WASM the first time a page has
// one. It also moves between pages without a page load: a same-origin link, a GET form or
// a post to a server function is fetched and the answer's body replaces this one, whose
// islands are then hydrated in turn. A server function answers a plain post with a
// redirect (back to the page it was posted from, or where the server sends it), so an
// action's result is the server's fresh page.
const js = __JS__;
const wasm = __WASM__;
const thisScript = document.querySelector("script[data-page-script]")?.textContent;

let loading = null;
let latest = 0;
const posting = new WeakSet();

/** The WASM module's exports, loaded once. */
function app() {
  loading ??= import(js).then(async (module) => {
    await module.default({ module_or_path: wasm });
    module.hydrate();
    return module;
  });
  return loading;
}

/** Hydrates each island under `root` (a lazy island's chunk may have to load first). */
async function hydrateIslands(root) {
  const islands = [...root.querySelectorAll("leptos-island")];
  if (islands.length > 0) {
    const module = await app();
    const hydrating = islands.map((island) => {
      const hydrate = module[island.dataset.component];
      if (typeof hydrate !== "function") {
        return Promise.reject(new Error(`no WASM for the island ${island.dataset.component}`));
      }
      return Promise.resolve().then(() => hydrate(island));
    });
    for (const result of await Promise.allSettled(hydrating)) {
      if (result.status === "rejected") console.error("Plugboard:", result.reason);
    }
  }
  // Lets end-to-end tests (and curious people) know the page is interactive.
  document.body.setAttribute("data-hydrated", "true");
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
  if (url.pathname === location.pathname && url.search === location.search && (url.hash || link.getAttribute("href") === "#")) {
    return null;
  }
  return url;
}

/**
 * The request a form submission makes here, or null when the browser should submit it:
 * GET forms, and posts to a server function (`/rpc/…`, which answer a plain post with a
 * redirect to the page to show). Other posts (a file upload, Connect, which leaves for
 * the plugin's site) and forms marked `data-page-load` are the browser's.
 */
function submission(event) {
  if (event.defaultPrevented) return null;
  const form = event.target;
  const submitter = event.submitter;
  // Attributes, not properties: a field named "action" would shadow `form.action`.
  const attribute = (name) => submitter?.getAttribute(`form${name}`) || form.getAttribute(name);
  const method = (attribute("method") || "get").toUpperCase();
  const action = new URL(attribute("action") || location.href, location.href);
  const multipart = (attribute("enctype") || "").toLowerCase() === "multipart/form-data";
  if (attribute("target") || form.hasAttribute("data-page-load") || action.origin !== location.origin || multipart) {
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

/**
 * Fetches a page and puts it in place of this one; a newer navigation wins. When the
 * answer is no page of this app's (a download, the consent screen, a plugin's site, a
 * build newer than this one) the browser is sent there; a post is never sent twice: when
 * it fails on the way, this page is loaded again.
 */
async function navigate(request, { restoring = false, form = null } = {}) {
  const mine = ++latest;
  const current = () => mine === latest;
  // Not interactive until the next page's islands are (whether it is swapped in or loaded).
  document.body.removeAttribute("data-hydrated");
  const from = new URL(location.href);
  const hash = new URL(request.url).hash;
  // What was typed, as it was sent.
  const typed = form ? new FormData(form) : null;
  const sameAction = (f) => f.getAttribute("action") === form?.getAttribute("action");
  const place = form ? [...document.forms].filter(sameAction).indexOf(form) : -1;
  const failed = () => {
    if (!current()) return;
    if (request.method !== "GET") location.reload();
    else if (restoring) location.replace(request.url);
    else location.assign(request.url);
  };
  request.headers.set("Accept", "text/html");
  let response;
  let html;
  try {
    response = await fetch(request);
    html = (response.headers.get("content-type") || "").startsWith("text/html") ? await response.text() : null;
  } catch {
    failed();
    return;
  }
  if (!current()) return;
  const to = new URL(response.url);
  to.hash = hash;
  const next = html === null || to.origin !== location.origin ? null : new DOMParser().parseFromString(html, "text/html");
  const script = next?.querySelector("script[data-page-script]");
  // Islands that read what the server read for them (resources serialized into the
  // page's inline scripts, which this document cannot run under its own nonce) need the
  // page loaded as a page; so does a page of a newer build (other WASM, other CSS).
  const asPage =
    !script ||
    script.textContent !== thisScript ||
    [...next.body.querySelectorAll("script")].some((s) => s.textContent.includes("__RESOLVED_RESOURCES["));
  if (asPage) {
    if (response.redirected || request.method === "GET") {
      if (restoring || to.href === from.href) location.replace(to);
      else location.assign(to);
      // A download leaves this page as it was.
      if (html === null) document.body.setAttribute("data-hydrated", "true");
    } else {
      failed();
    }
    return;
  }
  // A refused post comes back to its page with `?__path=…&__err=…`, which the server
  // reads to show the error: the address keeps neither, and the form gets back what
  // was typed in it, matched by its place among the forms with its action.
  const refused = to.searchParams.has("__err");
  if (refused) {
    to.searchParams.delete("__path");
    to.searchParams.delete("__err");
  }
  const inPlace = to.href === from.href || (request.method === "POST" && to.pathname === from.pathname);
  if (!restoring && !inPlace) history.replaceState({ scroll: scrollY }, "");
  document.title = next.title;
  document.body.replaceChildren(...next.body.childNodes);
  if (refused && place >= 0) {
    const again = [...document.forms].filter(sameAction)[place];
    if (again) refill(again, typed);
  }
  if (restoring) {
    scrollTo(0, history.state?.scroll ?? 0);
  } else if (inPlace) {
    history.replaceState(null, "", to);
  } else {
    history.pushState(null, "", to);
    const target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target) target.scrollIntoView();
    else scrollTo(0, 0);
  }
  await hydrateIslands(document.body);
}

function listen() {
  history.scrollRestoration = "manual";
  let shown = new URL(location.href);
  const remember = () => (shown = new URL(location.href));
  document.addEventListener("click", (event) => {
    const url = followedLink(event);
    if (!url) return;
    event.preventDefault();
    navigate(new Request(url)).finally(remember);
  });
  document.addEventListener("submit", (event) => {
    const request = submission(event);
    if (!request) return;
    event.preventDefault();
    const form = event.target;
    // One post at a time per form: a double click sends it once.
    if (request.method === "POST") {
      if (posting.has(form)) return;
      posting.add(form);
    }
    navigate(request, { form }).finally(() => {
      posting.delete(form);
      remember();
    });
  });
  addEventListener("hashchange", remember);
  addEventListener("popstate", () => {
    // Back or Forward between fragments of the page shown is the browser's.
    if (location.pathname === shown.pathname && location.search === shown.search && location.hash !== shown.hash) return;
    navigate(new Request(location.href), { restoring: true }).finally(remember);
  });
}

function start() {
  listen();
  hydrateIslands(document.body);
}

if ("requestIdleCallback" in window) requestIdleCallback(start, { timeout: 2000 });
else setTimeout(start, 0);
