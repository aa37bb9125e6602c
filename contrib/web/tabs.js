// SPDX-License-Identifier: ISC
// tabs.js - the agent console's conversations: one tab in #tabs per customer (with its unread
// count and whether the customer types), and the selected one's messages in #log. Each
// conversation keeps its own Log (ui.js), kept in sessionStorage by its cN, so that a reload
// that resumes the agent's session shows every conversation again; the daemon says which
// are still open ("customer NAME cN" after "resumed"). Peer strings go in as text only.

import { store } from "./store.js";
import { $, Log } from "./ui.js";

const PREFIX = "frontdesk.agent.log.";
const UNREAD = "frontdesk.agent.unread."; // a tab's unread count, for a reload
const SHOWN = "frontdesk.agent.shown"; // the tab shown, for a reload
const TYPING_SHOWN_MS = 5000;

class Conversation {
  constructor(name, conv) {
    this.name = name;
    this.conv = conv || "";
    this.unread = 0;
    this.ended = false;
    this.closing = false; // the agent asked "next": the tab goes when the customer has left
    this.draft = ""; // what the composer held when another tab was chosen
    this.typingTimer = null;
    this.box = document.createElement("div");
    this.box.className = "log";
    this.log = new Log(this.box, PREFIX + (this.conv || "@" + name));
    this.tab = document.createElement("button");
    this.tab.type = "button";
    this.tab.className = "tab";
    this.tab.setAttribute("role", "tab");
    this.tab.dataset.name = name;
    const label = document.createElement("span");
    label.className = "tab-name";
    label.textContent = name;
    this.dot = document.createElement("span");
    this.dot.className = "tab-typing";
    this.dot.textContent = "typing…";
    this.dot.hidden = true;
    this.badge = document.createElement("span");
    this.badge.className = "unread";
    this.badge.hidden = true;
    this.tab.append(label, this.dot, this.badge);
  }

  setUnread(n) {
    this.unread = n;
    const key = UNREAD + (this.conv || "@" + this.name);
    if (n) store.set(key, String(n));
    else store.remove(key);
    this.badge.textContent = String(n);
    this.badge.hidden = n === 0;
    this.tab.setAttribute("aria-label", this.name + (n ? ", " + n + " unread" : ""));
  }
}

export class Tabs {
  constructor() {
    this.list = new Map(); // name -> Conversation
    this.selected = null;
  }

  get(name) { return this.list.get(name) || null; }

  byConv(conv) {
    for (const c of this.list.values()) if (c.conv === conv) return c;
    return null;
  }

  // "customer NAME [cN]": a conversation, new or again (a resume, a customer back).
  open(name, conv) {
    let c = this.get(name);
    if (c && conv && c.conv !== conv) {
      // The same customer in a new conversation: a restart of the daemon serves everyone
      // again under new numbers, or the customer came back before the agent closed the
      // ended tab. What was said stays in view (a restart would otherwise wipe every tab
      // while the customers' pages keep theirs), under the new number; a line marks a new
      // start after an ended one.
      if (c.ended) c.log.sys("A new conversation with " + name);
      store.remove(UNREAD + (c.conv || "@" + name));
      c.conv = conv;
      c.log.moveTo(PREFIX + conv);
      c.setUnread(c.unread);
    }
    if (!c) {
      c = new Conversation(name, conv);
      c.log.restore();
      c.setUnread(Number(store.get(UNREAD + (c.conv || "@" + name))) || 0);
      c.tab.addEventListener("click", () => this.select(name));
      this.list.set(name, c);
      $("tabs").append(c.tab);
    }
    c.ended = false;
    c.closing = false;
    c.tab.classList.remove("ended");
    // After a reload the tab shown before is shown again when it comes; until then the
    // first, without marking it read (its count is the agent's only sign of what is new).
    const shown = store.get(SHOWN);
    if (!this.selected || name === shown) this.select(name, Boolean(shown) && name !== shown);
    else this.render();
    return c;
  }

  // The conversation is over for this agent (left, passed on): marked, or gone if asked to.
  end(name, why) {
    const c = this.get(name);
    if (!c) return;
    this.typingDone(c);
    if (why) c.log.sys(why);
    if (c.closing) {
      this.remove(name);
      return;
    }
    c.ended = true;
    c.tab.classList.add("ended");
    this.render();
  }

  remove(name) {
    const c = this.get(name);
    if (!c) return;
    clearTimeout(c.typingTimer);
    c.setUnread(0);
    c.log.clear();
    c.tab.remove();
    this.list.delete(name);
    if (this.selected === c) {
      // Its draft goes with it: the tab shown next (a conversation passed on by the daemon,
      // answer_timeout, while the agent writes) must not get a reply meant for this customer.
      $("text").value = "";
      this.selected = null;
      const first = this.list.keys().next();
      if (!first.done) {
        this.select(first.value);
      } else {
        store.remove(SHOWN);
        this.render();
      }
    }
  }

  // Every conversation forgotten (a new sign-in).
  clear() {
    for (const name of [...this.list.keys()]) this.remove(name);
    for (const k of [...store.keys(PREFIX), ...store.keys(UNREAD), SHOWN]) store.remove(k);
  }

  // @c shown in #log (and read, unless @passing: shown only until another one comes).
  select(name, passing = false) {
    const c = this.get(name);
    if (!c) return;
    // One composer for every tab: each conversation keeps its own draft.
    if (this.selected !== c) {
      if (this.selected) this.selected.draft = $("text").value;
      $("text").value = c.draft;
    }
    this.selected = c;
    if (!passing) {
      c.setUnread(0);
      store.set(SHOWN, name);
    }
    $("log").replaceChildren(c.box);
    c.box.scrollTop = c.box.scrollHeight;
    this.render();
  }

  // A message (or a line) in @c: counted as unread unless it is the one shown.
  added(c, counts) {
    if (c !== this.selected && counts) c.setUnread(c.unread + 1);
  }

  // "typing NAME": shown on the tab, and under the log when it is the one shown, for 5 s or
  // until the customer's message.
  typing(name) {
    const c = this.get(name);
    if (!c || c.ended) return;
    clearTimeout(c.typingTimer);
    c.typingTimer = setTimeout(() => this.typingDone(c), TYPING_SHOWN_MS);
    c.dot.hidden = false;
    c.tab.classList.add("is-typing");
    this.render();
  }

  typingDone(c) {
    clearTimeout(c.typingTimer);
    c.typingTimer = null;
    c.dot.hidden = true;
    c.tab.classList.remove("is-typing");
    this.render();
  }

  render() {
    const c = this.selected;
    for (const other of this.list.values()) {
      other.tab.classList.toggle("selected", other === c);
      other.tab.setAttribute("aria-selected", String(other === c));
    }
    $("no-conv").hidden = Boolean(c);
    $("conv-head").hidden = !c;
    $("composer").hidden = !c || c.ended;
    $("next").textContent = c && c.ended ? "Close" : "End conversation";
    $("transfer").hidden = !c || c.ended;
    $("conv-name").textContent = c ? c.name : "";
    if (!c) $("log").replaceChildren();
    const typing = $("typing");
    typing.hidden = !c || c.typingTimer === null;
    typing.textContent = c && c.typingTimer !== null ? c.name + " is typing…" : "";
  }
}
