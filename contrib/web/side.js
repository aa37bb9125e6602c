// SPDX-License-Identifier: ISC
// side.js - what the agent console shows beside the conversations, each built from the
// answers of one agent command: the line with the customers' first words (#queue, "queue"),
// the canned replies (#canned, "canned"), the other agents to transfer to (#transfer,
// "agents") and a customer's earlier conversations (#transcripts, "earlier NAME"). Every
// peer string goes in as text only.

import { $ } from "./ui.js";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function waited(secs) {
  if (secs < 60) return secs + " s";
  if (secs < 3600) return Math.floor(secs / 60) + " min";
  return Math.floor(secs / 3600) + " h " + Math.floor((secs % 3600) / 60) + " min";
}

// The line. The daemon tells agents "queue N" whenever N changes, and answers the command
// "queue" with "waiting POS NAME SECS [-- FIRST WORDS]" lines, "waiting-more K", then "queue
// N". So a "queue N" with no "waiting" lines before it is news: ask for the list, unless one
// is asked already (a change told while the answer is on its way ends with its own "queue N").
// It is asked again every 5 s while someone waits, for the wait times and first words.
export class Line {
  constructor(ask) {
    this.ask = ask; // sends "queue"
    this.rows = [];
    this.more = 0;
    this.shown = 0;
    this.asked = false;
    this.timer = null;
  }

  refresh() {
    if (this.asked) return;
    this.asked = true;
    this.ask();
  }

  waiting(args, text) {
    this.rows.push({ pos: Number(args[0]), name: args[1] || "", secs: Number(args[2]) || 0, text });
  }

  waitingMore(k) { this.more = k; }

  queue(n) {
    if (this.rows.length || this.more || (this.asked && n === 0)) {
      this.render(this.rows, this.more, n);
      this.rows = [];
      this.more = 0;
      this.asked = false;
    } else if (n !== this.shown || n === 0) {
      if (n === 0) this.render([], 0, 0);
      else this.refresh();
    }
    clearInterval(this.timer);
    this.timer = n > 0 ? setInterval(() => this.refresh(), 5000) : null;
  }

  render(rows, more, n) {
    this.shown = n;
    const list = $("queue");
    list.replaceChildren(...rows.map((r) => {
      const li = el("li", "waiting");
      li.dataset.name = r.name;
      const head = el("div", "waiting-head");
      head.append(el("span", "waiting-name", r.name), el("span", "waiting-time", waited(r.secs)));
      li.append(head);
      li.append(el("p", "preview" + (r.text ? "" : " none"), r.text || "Has not written yet"));
      return li;
    }));
    if (more) list.append(el("li", "waiting-more", "and " + more + " more"));
    $("queue-count").textContent = String(n);
    $("queue-empty").hidden = n > 0;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}

// The canned replies: "canned-reply NAME TEXT"... "canned-end N". A click puts the text in
// the composer, where the agent may change it before sending.
export class Canned {
  constructor(insert) {
    this.insert = insert;
    this.rows = [];
  }

  reply(args, rest) {
    this.rows.push({ name: args[0] || "", text: rest });
  }

  end(more) {
    const list = $("canned");
    list.replaceChildren(...this.rows.map((r) => {
      const li = el("li");
      const b = el("button", "canned-reply");
      b.type = "button";
      b.dataset.name = r.name;
      b.title = r.text;
      b.append(el("span", "canned-name", r.name), el("span", "canned-text", r.text));
      b.addEventListener("click", () => this.insert(r.text));
      li.append(b);
      return li;
    }));
    if (more) list.append(el("li", "empty", more + " more, sent by name only"));
    $("canned-empty").hidden = this.rows.length > 0;
    this.rows = [];
  }

  none() {
    this.rows = [];
    this.end(0);
  }
}

// The agents to pass a conversation to: "agent NAME STATUS OPEN MAX IDLE"... "agents N".
export class Agents {
  constructor() {
    this.rows = [];
  }

  agent(args) {
    this.rows.push({ name: args[0], status: args[1], open: args[2], max: args[3] });
  }

  end(me) {
    const select = $("transfer-to");
    const keep = select.value;
    const options = [el("option", "", "Back to the line")];
    options[0].value = "";
    for (const a of this.rows) {
      if (a.name === me) continue;
      const o = el("option", "", a.name + " (" + a.status + ", " + a.open + "/" + a.max + ")");
      o.value = a.name;
      o.disabled = a.status !== "available";
      options.push(o);
    }
    select.replaceChildren(...options);
    if ([...select.options].some((o) => o.value === keep && !o.disabled)) select.value = keep;
    this.rows = [];
  }
}

// A customer's earlier conversations ("earlier NAME": "history-start COUNT by-name NAME", the
// messages, each with its own cN, "history-end"), found by the name alone: said so.
export class Transcripts {
  constructor() {
    this.name = null; // the answer being read
    this.box = null;
    this.convs = new Map();
  }

  start(name, count) {
    this.name = name;
    this.convs = new Map();
    const root = $("transcripts");
    const head = el("div", "transcripts-head");
    head.append(el("strong", "", name), el("span", "by-name", "matched by name only"));
    head.title = "Found by the name alone, which anyone may have used before: ask before " +
      "taking them for the same person.";
    this.box = el("div", "transcripts-list");
    root.replaceChildren(head, this.box);
    if (count === 0) this.box.append(el("p", "empty", "No earlier conversation under this name."));
  }

  get reading() { return this.name !== null; }

  message(m) {
    let conv = this.convs.get(m.conv);
    if (!conv) {
      conv = el("section", "transcript");
      conv.dataset.conv = m.conv;
      conv.append(el("h3", "", new Date(m.time).toLocaleString()));
      this.convs.set(m.conv, conv);
      this.box.append(conv);
    }
    const p = el("p", "t-msg" + (m.from === this.name ? " theirs" : " mine"));
    p.append(el("span", "from", m.from), el("span", "text", m.text));
    conv.append(p);
  }

  end() {
    this.name = null;
  }
}
