// SPDX-License-Identifier: ISC
// ui.js - what the customer page and the room page show alike: the connection's state, the
// log of messages (kept in sessionStorage by store.js, so that a reload shows the
// conversation again), and who is typing. Every peer-supplied string goes in as text
// (textContent), never as HTML.

import { store } from "./store.js";

const LOG_KEEP = 300; // entries a reload shows again
const STICK_PX = 40; // this close to the bottom, the log follows the newest line

// When the user last touched the page (wheel, touch, pointer, key): a log's scroll within a
// second of it is the user's. One listener for the page, however many logs come and go.
let touched = 0;
for (const ev of ["wheel", "touchmove", "pointerdown", "keydown"]) {
  document.addEventListener(ev, () => { touched = Date.now(); }, { passive: true, capture: true });
}

// No form of these pages ever submits natively: there is nothing to submit it to, and the CSP
// (form-action 'none') would block it, silently. Registered when the first module is
// evaluated, before any page code that could throw, so a page broken half-way still does not
// turn a click on "Start chat" into a navigation.
document.addEventListener("submit", (ev) => ev.preventDefault(), true);

export const $ = (id) => document.getElementById(id);

// What a file message shows ({sha256, size, type, name} -> an element): set by a page that
// has files (files.js's fileView); until then its name and size as text.
let fileRenderer = (f) => {
  const div = document.createElement("div");
  div.className = "file";
  div.textContent = f.name + " (" + f.size + " bytes)";
  return div;
};

export function setFileRenderer(fn) {
  fileRenderer = fn;
}

// The attach button @button opens the real, hidden <input type=file> @input (the button is
// what the keyboard reaches); each file chosen goes to @onFile.
export function attacher(button, input, onFile) {
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    for (const f of input.files) onFile(f);
    input.value = ""; // the same file may be chosen again
  });
}

export function show(el, on) {
  el.hidden = !on;
}

// The WebSocket's state on #conn (data-state, and a word for the eye).
export function setConn(state) {
  const el = $("conn");
  el.dataset.state = state;
  el.textContent = { connecting: "Connecting…", open: "Online", closed: "Offline" }[state] || state;
}

function clock(ms) {
  const d = new Date(ms);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}

// The conversation: .msg (mine/theirs, .from, .text) and .sys lines in #log.
export class Log {
  constructor(el, key) {
    this.el = el;
    this.key = key; // store.js key of the kept entries
    this.ids = new Set();
    this.entries = [];
    this.statusLine = null; // the .sys line status() updates in place
    // Whether the user is at the newest line: the log then stays there when it grows, and
    // when it shrinks (a card above it appears, the phone's keyboard opens).
    this.stuck = true;
    // Only the user unsticks it: a scroll within a second of their wheel, touch, pointer or
    // key. A scroll the layout makes (the log shrinking under a card, its lines put back after
    // a resume) must not, or the newest line would be left below the fold.
    el.addEventListener("scroll", () => {
      if (this.nearBottom()) this.stuck = true;
      else if (Date.now() - touched < 1000) this.stuck = false;
    });
    new ResizeObserver(() => this.follow()).observe(el);
  }

  nearBottom() {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < STICK_PX;
  }

  follow() {
    if (this.stuck) this.el.scrollTop = this.el.scrollHeight;
  }

  // One .sys.status line at the end, its text changed in place (null: taken away); not kept.
  status(text) {
    if (text === null) {
      this.statusLine?.remove();
      this.statusLine = null;
      return;
    }
    if (!this.statusLine) {
      this.statusLine = this.line({ text });
      this.statusLine.classList.add("status");
    }
    this.statusLine.textContent = text;
    this.el.append(this.statusLine); // stays the last line
    this.follow();
  }

  // Show again what was kept before a reload.
  restore() {
    let kept = [];
    try {
      kept = JSON.parse(store.get(this.key) || "[]");
    } catch {
      kept = [];
    }
    for (const e of Array.isArray(kept) ? kept : []) this.render(e, false);
  }

  // Keep the entries under @key from now on (the conversation has a new number).
  moveTo(key) {
    if (key === this.key) return;
    store.remove(this.key);
    this.key = key;
    store.set(key, JSON.stringify(this.entries));
  }

  clear() {
    this.statusLine = null;
    this.el.replaceChildren();
    this.ids.clear();
    this.entries = [];
    store.remove(this.key);
  }

  // e: {kind: "msg", id, from, text, mine, history, time, note}, {kind: "file", id, from,
  // file: {sha256, size, type, name}, mine, history, time} or {kind: "sys", text}.
  add(e) {
    if (e.kind !== "sys" && e.id != null && this.ids.has(e.id)) return null; // never twice
    return this.render(e, true);
  }

  msg(m) {
    return this.add({ kind: "msg", time: Date.now(), ...m });
  }

  // A file message: what the page's file renderer makes of it, in a bubble.
  file(m) {
    return this.add({ kind: "file", time: Date.now(), ...m });
  }

  // An upload of @name on its way: "Sending NAME", its progress and Cancel (@onCancel), in
  // the log but not kept (a reload does not resume it). Returns files.js's view of it.
  upload(name, onCancel) {
    const div = document.createElement("div");
    div.className = "upload";
    div.setAttribute("role", "status");
    const label = document.createElement("span");
    label.textContent = "Sending " + name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.setAttribute("aria-label", "Sending " + name);
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "quiet";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", () => {
      div.remove();
      onCancel();
    });
    div.append(label, bar, cancel);
    if (this.statusLine) this.el.insertBefore(div, this.statusLine);
    else this.el.append(div);
    this.stuck = true;
    this.follow();
    return {
      progress: (f) => {
        if (f === null) bar.removeAttribute("value"); // hashing: no measure yet
        else bar.value = f;
      },
      done: () => div.remove(),
      fail: (text) => {
        div.remove();
        this.sys(text);
      },
    };
  }

  // My message @e (what msg() drew as @node) is on its way: faded (.pending) until @sent, the
  // link's promise, says the daemon has it, or marked .unsent "not sent" if it never will be.
  // Kept so: a reload drops the link's outbox, and shows a message still pending as not sent.
  sending(node, sent) {
    const e = this.entries[this.entries.length - 1];
    if (!node || !e) return;
    e.pending = true;
    node.classList.add("pending");
    this.save();
    sent.then((ok) => {
      delete e.pending;
      node.classList.remove("pending");
      if (!ok) this.unsent(e, node);
      this.save();
    });
  }

  unsent(e, node) {
    e.unsent = true;
    node.classList.add("unsent");
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = "not sent";
    node.querySelector(".meta").append(note);
  }

  save() {
    store.set(this.key, JSON.stringify(this.entries));
  }

  sys(text) {
    const prev = this.entries[this.entries.length - 1];
    if (prev && prev.kind === "sys" && prev.text === text) return; // said just now
    this.add({ kind: "sys", text, time: Date.now() });
  }

  render(e, keep) {
    const stick = this.stuck || this.nearBottom();
    const node = e.kind === "sys" ? this.line(e) : this.bubble(e);
    if (this.statusLine) this.el.insertBefore(node, this.statusLine);
    else this.el.append(node);
    if (e.kind !== "sys" && e.id != null) this.ids.add(e.id);
    this.entries.push(e);
    if (this.entries.length > LOG_KEEP) this.entries.splice(0, this.entries.length - LOG_KEEP);
    if (keep) this.save();
    if (!keep && (e.pending || e.unsent)) {
      delete e.pending; // its outbox went with the page that was reloaded
      this.unsent(e, node);
    }
    if (stick || e.mine) {
      this.stuck = true;
      this.el.scrollTop = this.el.scrollHeight;
    }
    return node;
  }

  bubble(e) {
    const div = document.createElement("div");
    div.className = "msg " + (e.mine ? "mine" : "theirs") + (e.history ? " history" : "");
    if (e.note) div.classList.add("private");
    if (e.id != null) div.dataset.id = String(e.id);
    const meta = document.createElement("div");
    meta.className = "meta";
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = e.from;
    const when = document.createElement("time");
    when.textContent = clock(e.time);
    when.dateTime = new Date(e.time).toISOString();
    meta.append(from);
    if (e.note) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = e.note;
      meta.append(note);
    }
    meta.append(when);
    if (e.kind === "file") {
      div.classList.add("has-file");
      div.append(meta, fileRenderer(e.file));
      return div;
    }
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = e.text;
    div.append(meta, text);
    return div;
  }

  line(e) {
    const p = document.createElement("p");
    p.className = "sys";
    p.textContent = e.text;
    return p;
  }
}

// #typing: "Anna is typing…" for 5 s after Anna's last typing notice, or until her message.
export class Typing {
  constructor(el) {
    this.el = el;
    this.timers = new Map();
  }

  saw(name) {
    clearTimeout(this.timers.get(name));
    this.timers.set(name, setTimeout(() => this.clear(name), 5000));
    this.render();
  }

  clear(name) {
    if (!this.timers.has(name)) return;
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    this.render();
  }

  render() {
    const names = [...this.timers.keys()];
    this.el.hidden = names.length === 0;
    if (names.length === 1) this.el.textContent = names[0] + " is typing…";
    else if (names.length === 2) this.el.textContent = names[0] + " and " + names[1] + " are typing…";
    else if (names.length > 2) this.el.textContent = "Several people are typing…";
    else this.el.textContent = "";
  }
}

// The composer: Enter sends, Shift+Enter is a new line; every keystroke that changes the text
// is "typing" (the link rate-limits it).
export function composer(form, area, onSend, onTyping) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = area.value.replace(/\s+$/, "");
    if (text.trim() === "") return;
    if (onSend(text) !== false) area.value = "";
    area.focus();
  });
  area.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  area.addEventListener("input", () => {
    if (area.value !== "") onTyping();
  });
}
