// Quick Add, a demo client-side plugin: lists the latest tasks and adds one to a project.
// It runs in a sandboxed frame and works through Plugboard's bridge (read:projects,
// write:tasks); the host page shows the task it adds.
"use strict";

// An element with properties, data attributes and text (never HTML).
const el = (tag, { dataset = {}, ...props } = {}, text = "") => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  if (text) node.textContent = text;
  return node;
};
// No <form>: the frame's sandbox has no allow-forms, so a form would never submit.
const form = el("div", { id: "add", className: "row" });
const project = el("select", { id: "project", required: true });
project.setAttribute("aria-label", "Project");
const title = el("input", { id: "title", required: true, maxLength: 300, placeholder: "Task title" });
title.setAttribute("aria-label", "Task title");
const add = el("button", { type: "button" }, "Add task");
form.append(project, title, add);
const problem = el("p", { id: "error", role: "alert" });
const latest = el("ul", { id: "latest" });
const reload = el("button", { id: "reload", type: "button" }, "Reload");
document.body.append(form, problem, el("p", {}, "Latest tasks"), latest, reload);

function fail(error) {
  problem.textContent = `${error.code ?? "error"}: ${error.message}`;
  console.warn(`Quick Add: ${error.code}`);
}

async function load() {
  problem.textContent = "";
  try {
    const [projects, tasks] = await Promise.all([plugboard.projects.list({ limit: 100 }), plugboard.tasks.list({ limit: 100 })]);
    if (!project.options.length) {
      project.replaceChildren(...projects.data.map((p) => el("option", { value: String(p.id) }, p.name)));
    }
    latest.replaceChildren(...tasks.data.slice(-5).reverse().map((t) => el("li", { dataset: { taskId: String(t.id) } }, t.title)));
  } catch (error) {
    fail(error);
  }
}

async function addTask() {
  problem.textContent = "";
  if (!title.value.trim()) return title.focus();
  try {
    const task = await plugboard.tasks.create({ project_id: Number(project.value), title: title.value });
    title.value = "";
    await plugboard.ui.notify(`Added “${task.title}”`);
    await load();
  } catch (error) {
    fail(error);
  }
}

add.addEventListener("click", addTask);
title.addEventListener("keydown", (event) => event.key === "Enter" && addTask());
reload.addEventListener("click", load);
load();
