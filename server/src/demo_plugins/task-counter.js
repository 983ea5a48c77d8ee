// Task Counter, a demo client-side plugin: counts the organisation's tasks by status.
// It runs in a sandboxed frame and reads tasks through Plugboard's bridge (read:tasks).
"use strict";

// An element with properties, data attributes and text (never HTML).
const el = (tag, { dataset = {}, ...props } = {}, text = "") => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  if (text) node.textContent = text;
  return node;
};
const total = el("strong", { id: "total" }, "…");
const counts = el("ul", { id: "counts" });
const problem = el("p", { id: "error", role: "alert" });
const refresh = el("button", { id: "refresh", type: "button" }, "Count again");
const heading = el("p");
heading.append(total, " tasks");
document.body.append(heading, counts, problem, refresh);

async function count() {
  problem.textContent = "";
  try {
    const byStatus = { todo: 0, doing: 0, done: 0 };
    let cursor = "";
    let seen = 0;
    do {
      const page = await plugboard.tasks.list(cursor ? { limit: 100, cursor } : { limit: 100 });
      for (const task of page.data) byStatus[task.status] = (byStatus[task.status] ?? 0) + 1;
      seen += page.data.length;
      cursor = page.next_cursor;
    } while (cursor && seen < 2000);
    total.textContent = String(seen);
    counts.replaceChildren(
      ...Object.entries(byStatus).map(([status, n]) => el("li", { dataset: { status } }, `${status}: ${n}`)),
    );
  } catch (error) {
    problem.textContent = `${error.code ?? "error"}: ${error.message}`;
    console.warn(`Task Counter: ${error.code}`);
  }
}

refresh.addEventListener("click", count);
count();
