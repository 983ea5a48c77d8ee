// Plugboard's bridge for client-side plugins (DESIGN.md §7), served at /bridge/v1.js and
// loaded by every plugin frame before the plugin's own bundle. The frame is sandboxed
// (no cookies, no storage, no access to the page around it); this is its one way to the
// tenant's data, limited to the scopes the tenant granted the plugin.
//
//   const tasks = await plugboard.tasks.list({ status: "todo", limit: 20 }); // {data, next_cursor}
//   const task = await plugboard.tasks.create({ project_id: 3, title: "Call the client" });
//   await plugboard.tasks.update(task.id, { status: "done" });
//   const projects = await plugboard.projects.list();
//   const { tenant, user, theme } = await plugboard.context.get();
//   await plugboard.ui.notify("Saved.");
//   const { settings, missing } = await plugboard.settings.get(); // secrets left out
//
// A refused call rejects with a PlugboardError: { code, message, field? }, where code is
// insufficient_scope, unknown_method, bad_request, validation_failed, not_found,
// rate_limited, uninstalled or unavailable.
(() => {
  "use strict";
  const host = window.parent;
  // The page around the frame is Plugboard, which served this script.
  const hostOrigin = new URL(document.currentScript.src).origin;
  const pending = new Map();
  let next = 0;

  class PlugboardError extends Error {
    constructor({ code, message, field }) {
      super(message);
      this.name = "PlugboardError";
      this.code = code;
      this.field = field;
    }
  }

  window.addEventListener("message", (event) => {
    // Only the host page answers: a message from anywhere else (another plugin's frame,
    // say) is not an answer, whatever it says.
    if (event.source !== host || event.origin !== hostOrigin) return;
    const answer = event.data;
    if (!answer || typeof answer !== "object" || !pending.has(answer.id)) return;
    const { resolve, reject } = pending.get(answer.id);
    pending.delete(answer.id);
    if (answer.error) reject(new PlugboardError(answer.error));
    else resolve(answer.result);
  });

  function call(method, params = {}) {
    const id = `pb-${++next}`;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      host.postMessage({ id, method, params }, hostOrigin);
    });
  }

  window.plugboard = Object.freeze({
    call,
    PlugboardError,
    projects: Object.freeze({ list: (params) => call("projects.list", params) }),
    tasks: Object.freeze({
      list: (params) => call("tasks.list", params),
      create: (fields) => call("tasks.create", fields),
      update: (id, fields) => call("tasks.update", { ...fields, id }),
    }),
    context: Object.freeze({ get: () => call("context.get") }),
    settings: Object.freeze({ get: () => call("settings.get") }),
    ui: Object.freeze({ notify: (message) => call("ui.notify", { message: String(message) }) }),
  });
})();
