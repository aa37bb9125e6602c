// SPDX-License-Identifier: ISC
// agent.js - the agent console (/agent): signs in on /ws/agent with the agent key (link.js's
// AgentLink answers the challenge with WebCrypto), then the line with previews, the
// conversations as tabs (tabs.js), transfer, away/back, canned replies and a customer's
// earlier conversations (side.js), files to and from the customer of the tab shown (files.js).
// With the capability "agent" (a desk where an agent holds several conversations) every
// message names its customer, "NAME: text"; without it (one conversation at a time) it is
// plain text, and the commands name nobody.
//
// The key: kept in memory as a CryptoKey that cannot be exported, so that the link can answer
// the challenge again after a cut; its text is kept in sessionStorage (this tab only, gone
// when it closes; never localStorage) only if the agent ticks "Remember the key for this
// tab", so that a reload signs in again by itself. Otherwise a reload asks for the key, and
// signing in with the same name resumes the session (its conversations are kept for
// agent_grace).

import { Files, fileView, formatSize, safeName } from "./files.js";
import { MAX_TEXT_BYTES, byteLength } from "./frames.js";
import { AgentLink } from "./link.js";
import { NAME_ERRORS, nameProblem } from "./page.js";
import { Agents, Canned, Line, Transcripts } from "./side.js";
import { store } from "./store.js";
import { Tabs } from "./tabs.js";
import { $, attacher, composer, setConn, setFileRenderer, show } from "./ui.js";

const PREFIX = "frontdesk.agent";
const KEY = PREFIX + ".key";
const NAME = PREFIX + ".name";
const link = new AgentLink(PREFIX);
const files = new Files(link);
setFileRenderer((f) => fileView(f, files));
const tabs = new Tabs();
const line = new Line(() => link.command("queue"));
const canned = new Canned(insertText);
const agents = new Agents();
const transcripts = new Transcripts();
let away = false;
let signedIn = false;

// What a refusal says on the sign-in form.
const SIGN_IN_ERRORS = {
  "auth-failed": "The key is not right: paste the agent key file's text.",
  "agent-not-allowed": "This key may not sign in under that name.",
  "agent-busy": "The desk has as many agents as it takes right now.",
  "nick-taken": "Someone here already uses that name.",
  "bad-nick": NAME_ERRORS["bad-nick"],
  replaced: "You signed in again elsewhere: this console stepped aside.",
  "session-resumed": "You signed in again elsewhere: this console stepped aside.",
  "server-full": "The desk is full right now; try again in a moment.",
};

function hasAgentCap() { return link.granted.has("agent"); }

// A command about customer @name: named only where the agent may have several.
function about(cmd, name) {
  return hasAgentCap() ? cmd + " " + name : cmd;
}

function insertText(text) {
  const area = $("text");
  const at = area.selectionStart ?? area.value.length;
  area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd ?? at);
  area.focus();
  area.selectionStart = area.selectionEnd = at + text.length;
}

// A line about the desk: in the conversation shown, or on the sign-in form before one.
function say(text) {
  if (tabs.selected) {
    tabs.selected.log.sys(text);
  } else {
    const p = document.createElement("p");
    p.className = "sys";
    p.textContent = text;
    $("log").replaceChildren(p);
  }
}

function signInForm(error) {
  signedIn = false;
  line.stop();
  show($("desk"), false);
  show($("away"), false);
  show($("me"), false);
  show($("join-form"), true);
  const err = $("join-error");
  err.textContent = error || "";
  show(err, Boolean(error));
  if (!$("name").value) $("name").value = link.name || store.get(NAME) || "";
  ($("name").value ? $("key") : $("name")).focus();
}

function desk() {
  signedIn = true;
  show($("join-form"), false);
  show($("desk"), true);
  show($("away"), !document.body.classList.contains("one-agent"));
  $("me").textContent = link.name;
  show($("me"), true);
  store.set(NAME, link.name);
  link.command("queue");
  line.asked = true;
  link.command("canned");
  link.command("agents"); // a one-agent desk does not know it: its error is ignored
  tabs.render();
}

function setAway(on) {
  away = on;
  const b = $("away");
  b.textContent = on ? "I'm back" : "Go away";
  b.setAttribute("aria-pressed", String(on));
  document.body.classList.toggle("is-away", on);
}

// The "history-start" being read: an earlier conversation by name, or this one's so far.
let history = null;

const notices = {
  welcome: () => {
    tabs.clear();
    setAway(false);
    desk();
  },
  resumed: () => desk(),
  customer: (n) => {
    const had = tabs.get(n.args[0]);
    const c = tabs.open(n.args[0], n.args[1]);
    if (had === c) return; // a resume tells again who is ours
    c.log.sys("You are now talking to " + c.name);
  },
  "customer-left": (n) => tabs.end(n.args[0], n.args[0] + " left the conversation"),
  "customer-away": (n) => tabs.get(n.args[0])?.log.sys(n.args[0] + " lost the connection; the conversation waits"),
  "customer-back": (n) => tabs.get(n.args[0])?.log.sys(n.args[0] + " is back"),
  transferred: (n) => {
    const c = tabs.get(n.args[0]);
    if (c) c.closing = true;
    tabs.end(n.args[0], "");
    say(n.args[0] + (n.args[1] ? " was passed to " + n.args[1] : " went back to the line"));
  },
  "answer-timeout": (n) => {
    const c = tabs.get(n.args[0]);
    if (c) c.closing = true;
    tabs.end(n.args[0], "");
    say(n.args[0] + " waited too long for an answer and was passed on");
  },
  typing: (n) => tabs.typing(n.args[0]),
  queue: (n) => line.queue(Number(n.args[0]) || 0),
  waiting: (n) => line.waiting(n.args, n.text),
  "waiting-more": (n) => line.waitingMore(Number(n.args[0]) || 0),
  "canned-reply": (n) => canned.reply(n.args, n.raw.replace(/^\S+ \S+ ?/, "")),
  "canned-more": (n) => { canned.more = Number(n.args[0]) || 0; },
  "canned-end": () => { canned.end(canned.more || 0); canned.more = 0; },
  "canned-changed": () => link.command("canned"),
  agent: (n) => agents.agent(n.args),
  agents: () => agents.end(link.name),
  away: () => setAway(true),
  back: () => setAway(false),
  "history-start": (n) => {
    history = n.args[1] === "by-name" ? "by-name" : "conv";
    if (history === "by-name") transcripts.start(n.args[2] || "", Number(n.args[0]) || 0);
  },
  "history-end": () => {
    if (history === "by-name") transcripts.end();
    history = null;
  },
  error: (n) => { if (!n.file) onError(n.args[0] || "", n.text); }, // files.js said its own
  files: (n) => show($("attach"), Number(n.args[0]) > 0),
  caps: (n) => { if (!n.args.includes("files")) show($("attach"), false); },
};

function onError(code, text) {
  if (code === "auth-failed") store.remove(KEY); // a rotated key is not tried at every reload
  if (SIGN_IN_ERRORS[code] && (!signedIn || code === "replaced" || code === "session-resumed")) {
    tabs.clear();
    signInForm(SIGN_IN_ERRORS[code]);
  } else if (code === "no-such-reply" && /no canned_file/.test(text)) {
    canned.none();
  } else if (code === "unknown-command" && /'agents'/.test(text)) {
    // A desk of one agent: nobody to pass a conversation to, no "away".
    document.body.classList.add("one-agent");
    show($("away"), false);
  } else if (code === "resume-failed") {
    // The link signs in afresh (below).
  } else if (code === "not-your-turn") {
    say("Held until the customer replies (strict turns)");
  } else if (code === "shutting-down") {
    say("The desk is restarting; reconnecting…");
  } else {
    say(text || "Error: " + code);
  }
}

link.addEventListener("state", (ev) => setConn(ev.detail));
link.addEventListener("notice", (ev) => {
  const f = notices[ev.detail.keyword];
  if (f) f(ev.detail);
});
link.addEventListener("message", (ev) => onMessage(ev.detail));
link.addEventListener("file", (ev) => onFile(ev.detail));
link.addEventListener("reconnecting", () => say("Reconnecting…"));
// A new session: what was written in the old one and still waits for the connection goes
// nowhere (Link.join() drops it and says so: those lines show "not sent"). The old
// conversations are gone; at a desk of one agent (no "NAME: " prefix) the text would reach
// whoever is served next.
function join(name) {
  link.join(name);
}

link.addEventListener("resume-failed", () => {
  // The session is gone (past agent_grace): sign in afresh, with the same name and key.
  if (link.name) join(link.name);
});
link.addEventListener("refused", () => {
  if (!$("join-error").textContent) signInForm("The desk refused the sign-in: check the key and the name.");
});
link.addEventListener("ended", () => {
  if (signedIn) signInForm("The connection has ended.");
});

// A message: to its conversation (by cN), or to the transcripts while an "earlier" answer
// is read. Type 2 (no "ids") carries "NAME: text" for an agent granted "agent".
function onMessage(m) {
  if (m.history && history === "by-name" && transcripts.reading) {
    transcripts.message(m);
    return;
  }
  let c = m.conv ? tabs.byConv(m.conv) : null;
  let from = m.from;
  let text = m.text;
  if (!c && m.id === null) {
    const cut = hasAgentCap() ? /^([^:\s]+): ([\s\S]*)$/.exec(text) : null;
    c = cut ? tabs.get(cut[1]) : tabs.selected;
    if (cut) [from, text] = [cut[1], cut[2]];
    if (c && !from) from = c.name;
  }
  if (!c) c = tabs.get(from);
  if (!c) return;
  if (from === c.name) tabs.typingDone(c);
  const mine = from === link.name;
  c.log.msg({ id: m.id, from, text, mine, history: Boolean(m.history), time: m.time || Date.now() });
  tabs.added(c, !mine && !m.history);
}

// A file message: in its conversation, as a message is; in the transcripts, its name and size.
function onFile(f) {
  if (f.history && history === "by-name" && transcripts.reading) {
    transcripts.message({ ...f, text: "File: " + safeName(f.name) + " (" + formatSize(f.size) +
      ")" });
    return;
  }
  const c = tabs.byConv(f.conv) || tabs.get(f.from);
  if (!c) return;
  if (f.from === c.name) tabs.typingDone(c);
  const mine = f.from === link.name;
  c.log.file({ id: f.id, from: f.from, file: f, mine, history: Boolean(f.history),
    time: f.time || Date.now() });
  tabs.added(c, !mine && !f.history);
}

// A file for the customer of the tab shown: its progress in that tab, and drawn there when
// the daemon has kept it (the desk does not echo an agent's own messages).
attacher($("attach"), $("attach-input"), (file) => {
  const c = tabs.selected;
  if (!c || c.ended) return;
  let u = null;
  const view = c.log.upload(safeName(file.name), () => u && files.cancel(u));
  u = files.upload(file, hasAgentCap() ? c.name : "*", {
    ...view,
    done: (up) => {
      view.done();
      c.log.file({ id: null, from: link.name, mine: true,
        file: { sha256: up.sha256, size: up.size, type: up.type, name: up.name } });
    },
  });
});

$("join-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("name").value.trim();
  const key = $("key").value;
  if (nameProblem(name)) {
    signInForm(SIGN_IN_ERRORS["bad-nick"]);
    return;
  }
  if (!key) {
    signInForm("Paste the agent key.");
    return;
  }
  await link.setKey(key);
  if ($("remember").checked) store.set(KEY, key);
  else store.remove(KEY);
  $("key").value = "";
  show($("join-error"), false);
  $("join-error").textContent = "";
  // The same name again (a reload, a cut): resume its session, conversations and all.
  if (link.hasSession() && store.get(NAME) === name) {
    link.name = name;
    link.resume();
  } else {
    join(name);
  }
});

$("away").addEventListener("click", () => link.command(away ? "back" : "away"));

$("next").addEventListener("click", () => {
  const c = tabs.selected;
  if (!c) return;
  if (c.ended) {
    tabs.remove(c.name);
    return;
  }
  c.closing = true;
  link.command(about("next", c.name));
});

$("transfer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const c = tabs.selected;
  if (!c || c.ended) return;
  const to = $("transfer-to").value;
  link.command("transfer " + c.name + (to ? " " + to : ""));
});
// The list of agents is asked again whenever the agent goes to choose one.
$("transfer-to").addEventListener("focus", () => link.command("agents"));

$("earlier").addEventListener("click", () => {
  const c = tabs.selected;
  if (c) link.command("earlier " + c.name);
});

composer($("composer"), $("text"), (text) => {
  const c = tabs.selected;
  if (!c || c.ended) return false;
  if (byteLength(text) > MAX_TEXT_BYTES) {
    c.log.sys("That message is too long to send");
    return false;
  }
  const node = c.log.msg({ id: null, from: link.name, text, mine: true });
  c.log.sending(node, link.say(hasAgentCap() ? c.name + ": " + text : text));
  return true;
}, () => {
  const c = tabs.selected;
  if (c && !c.ended) link.typing(hasAgentCap() ? c.name : "");
});

async function start() {
  setConn("closed");
  if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
    show($("insecure"), true);
    $("join").disabled = true;
    signInForm("");
    return;
  }
  const kept = store.get(KEY);
  const name = store.get(NAME);
  if (kept && name) {
    // Asked to remember: sign in again by itself, resuming the session if there is one.
    $("remember").checked = true;
    await link.setKey(kept);
    if (link.hasSession()) {
      link.name = name;
      link.resume();
    } else {
      join(name);
    }
    return;
  }
  signInForm("");
}

start();
