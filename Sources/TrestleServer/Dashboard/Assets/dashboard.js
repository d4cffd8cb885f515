// Trestle's dashboard: a live job log (server-sent events, ANSI colours, line anchors, follows the
// end until the reader scrolls up), Cancel without a reload, and live task statuses.
"use strict";

const ANSI = /\x1b\[([0-9;]*)m/g;

function ansiToNodes(text, state) {
  const nodes = [];
  let last = 0;
  const push = (part) => {
    if (!part) return;
    const span = document.createElement("span");
    span.textContent = part;
    const classes = [];
    if (state.bold) classes.push("ansi-bold");
    if (state.color) classes.push("ansi-" + state.color);
    if (classes.length) span.className = classes.join(" ");
    nodes.push(span);
  };
  for (const match of text.matchAll(ANSI)) {
    push(text.slice(last, match.index));
    for (const code of (match[1] || "0").split(";").map(Number)) {
      if (code === 0) { state.bold = false; state.color = null; }
      else if (code === 1) state.bold = true;
      else if (code === 22) state.bold = false;
      else if (code >= 30 && code <= 37) state.color = code;
      else if (code >= 90 && code <= 97) state.color = code - 60;
      else if (code === 39) state.color = null;
    }
    last = match.index + match[0].length;
  }
  push(text.slice(last));
  return nodes;
}

function startLog(pre) {
  const state = { bold: false, color: null };
  let number = 0;
  let partial = "";
  let follow = true;
  const followNote = document.querySelector("[data-follow]");
  pre.addEventListener("scroll", () => {
    follow = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    if (followNote) followNote.textContent = follow ? "following the end" : "scrolled up: not following";
  });
  const addLine = (text) => {
    number += 1;
    const line = document.createElement("span");
    line.className = "line";
    line.id = "L" + number;
    const anchor = document.createElement("a");
    anchor.className = "n";
    anchor.href = "#L" + number;
    anchor.textContent = String(number);
    line.appendChild(anchor);
    for (const node of ansiToNodes(text, state)) line.appendChild(node);
    pre.appendChild(line);
  };
  const add = (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const text of lines) addLine(text);
    if (follow) pre.scrollTop = pre.scrollHeight;
  };
  const source = new EventSource(pre.dataset.stream);
  source.onmessage = (event) => add(JSON.parse(event.data));
  source.addEventListener("end", (event) => {
    if (partial) { addLine(partial); partial = ""; }
    const status = JSON.parse(event.data).status;
    for (const badge of document.querySelectorAll("[data-status]")) {
      badge.textContent = status;
      badge.className = "status s-" + status;
    }
    pre.dataset.ended = "true";
    source.close();
  });
  source.onerror = () => { if (pre.dataset.ended) source.close(); };
  if (location.hash) setTimeout(() => document.getElementById(location.hash.slice(1))?.scrollIntoView(), 500);
}

function watchTask(root) {
  const url = root.dataset.taskStatus;
  const final = ["passed", "failed", "timeout", "cancelled"];
  const update = async () => {
    const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!answer.ok) return;
    const task = await answer.json();
    for (const badge of root.querySelectorAll("[data-status]")) {
      badge.textContent = task.status;
      badge.className = "status s-" + task.status;
    }
    for (const job of task.jobs) {
      const row = root.querySelector(`tr[data-job="${CSS.escape(job.name)}"] [data-job-status]`);
      if (row) { row.textContent = job.status; row.className = "status s-" + job.status; }
      const box = root.querySelector(`svg g[data-job="${CSS.escape(job.name)}"]`);
      if (box) box.setAttribute("class", "job s-" + job.status);
    }
    const cancel = document.getElementById("cancel");
    if (cancel && final.includes(task.status)) cancel.closest("form").remove();
    if (!final.includes(task.status)) setTimeout(update, 1000);
  };
  setTimeout(update, 1000);
  for (const form of root.querySelectorAll("form[data-async]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
                                 headers: { Accept: "application/json" } });
      update();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const log = document.getElementById("log");
  if (log) startLog(log);
  const task = document.querySelector("[data-task-status]");
  if (task) watchTask(task);
});
