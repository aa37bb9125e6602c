// SPDX-License-Identifier: ISC
// customer.js - the customer page (/): a name, the place in line, the conversation with the
// agent; reconnects and resumes by itself (link.js), so a reload or a network blip keeps the
// place in line and the conversation (kept in sessionStorage by ui.js, replayed by ID).

import { MAX_TEXT_BYTES, byteLength } from "./frames.js";
import { Link } from "./link.js";
import { $, Log, Typing, composer, setConn, show } from "./ui.js";

const PREFIX = "frontdesk.customer";
const link = new Link(PREFIX);
const log = new Log($("log"), PREFIX + ".log");
const typing = new Typing($("typing"));
// Who serves us, "" while in line; kept so that a reload does not announce them again.
let agent = sessionStorage.getItem(PREFIX + ".agent") || "";
let ended = false;

// What a refused name or a full line says, above the join form.
const JOIN_ERRORS = {
  "nick-taken": "Someone here already uses that name. Please choose another.",
  "nick-in-use": "Someone here already uses that name. Please choose another.",
  "bad-nick": "That name cannot be used: up to 32 characters, no spaces, colons or commas.",
  "queue-full": "The line is full right now. Please try again in a few minutes.",
  "join-rate": "Too many people joined from your network just now. Please try again shortly.",
};
// What ends the conversation, in the words of #ended.
const ENDINGS = {
  kicked: "The agent ended the conversation",
  banned: "You cannot chat from this address",
  "session-resumed": "This conversation went on in another window",
  replaced: "This conversation went on in another window",
  timeout: "The conversation has ended after a long silence",
};

function stage(name) {
  show($("join-form"), name === "join");
  show($("talk"), name !== "join");
  show($("wait"), name === "wait");
  show($("wait-note"), name === "wait");
  show($("chat"), name === "chat");
  show($("ended"), name === "ended");
  show($("composer"), name === "wait" || name === "chat" || name === "resuming");
}

function askName(error) {
  ended = false;
  const err = $("join-error");
  err.textContent = error || "";
  show(err, Boolean(error));
  if (!$("name").value && link.name) $("name").value = link.name;
  stage("join");
  $("name").focus();
}

function endConversation(text) {
  if (ended) return;
  ended = true;
  typing.clear(agent);
  $("ended-text").textContent = text || "The conversation has ended";
  stage("ended");
  $("restart").focus();
}

// "about 4 minutes" from seconds.
function estimate(secs) {
  if (secs < 60) return "less than a minute";
  const min = Math.round(secs / 60);
  return min === 1 ? "about 1 minute" : "about " + min + " minutes";
}

function queued(args) {
  const n = args[0];
  const pos = $("position");
  pos.dataset.position = n;
  pos.textContent = n;
  const secs = args[1] === undefined ? NaN : Number(args[1]);
  show($("eta-part"), Number.isFinite(secs));
  $("eta").textContent = Number.isFinite(secs) ? estimate(secs) : "";
  if (agent) log.sys("You are back in line");
  setAgent("");
  stage("wait");
}

function setAgent(name) {
  agent = name;
  $("agent-name").textContent = name;
  sessionStorage.setItem(PREFIX + ".agent", name);
}

function serving(name) {
  if (name !== agent) log.sys(name + " joined the conversation");
  setAgent(name);
  stage("chat");
}

const notices = {
  welcome: () => stage("wait"),
  resumed: () => log.sys("Reconnected"),
  queued: (n) => queued(n.args),
  serving: (n) => serving(n.args[0]),
  transferred: (n) => {
    if (n.args[0]) {
      log.sys("Your conversation was passed to " + n.args[0]);
      serving(n.args[0]);
    } else {
      log.sys("You are back in line for the next agent");
      setAgent("");
    }
  },
  "agent-offline": () => log.sys("No agent is available right now; your messages are kept"),
  "agent-online": (n) => log.sys((n.args[0] || "The agent") + " is back"),
  typing: (n) => { if (n.args[0] && n.args[0] !== link.name) typing.saw(n.args[0]); },
  bye: () => endConversation("The conversation has ended"),
  error: (n) => onError(n.args[0] || "", n.text),
};

function onError(code, text) {
  if (JOIN_ERRORS[code]) {
    link.forget();
    log.clear();
    askName(JOIN_ERRORS[code]);
  } else if (ENDINGS[code]) {
    endConversation(ENDINGS[code]);
  } else if (code === "frame-too-long") {
    log.sys("That message is too long to send");
  } else if (code === "shutting-down") {
    log.sys("The desk is restarting; reconnecting…");
  } else if (code === "flood") {
    log.sys("Slow down a little, please");
  } else if (code !== "resume-failed" && code !== "not-your-turn") {
    log.sys(text || "Something went wrong (" + code + ")");
  }
}

link.addEventListener("state", (ev) => setConn(ev.detail));
link.addEventListener("notice", (ev) => {
  const f = notices[ev.detail.keyword];
  if (f) f(ev.detail);
});
link.addEventListener("message", (ev) => {
  const m = ev.detail;
  const from = m.from || agent;
  typing.clear(from);
  log.msg({ id: m.id, from, text: m.text, mine: false, time: m.time || Date.now() });
});
link.addEventListener("reconnecting", () => {
  if (!ended) log.sys("Reconnecting…");
});
link.addEventListener("resume-failed", () => {
  // The session is gone (expired, or ended while we were away): start afresh.
  log.clear();
  askName("");
});
link.addEventListener("refused", () => {
  // Refused before any notice could say why (link.js): the usual reasons, then.
  if (ended) return;
  log.clear();
  askName("We could not start the chat: the line may be full, or that name is not allowed. " +
    "Please try again in a few minutes.");
});
link.addEventListener("ended", () => {
  if ($("join-form").hidden && !ended) endConversation("The conversation has ended");
});

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = $("name").value.trim();
  if (!name || /[\s:,]/.test(name) || name.startsWith("-")) {
    askName(JOIN_ERRORS["bad-nick"]);
    return;
  }
  show($("join-error"), false);
  log.clear();
  setAgent("");
  ended = false;
  $("position").textContent = "…";
  stage("resuming");
  link.join(name);
});

$("restart").addEventListener("click", () => {
  link.quit();
  log.clear();
  askName("");
});

composer($("composer"), $("text"), (text) => {
  if (byteLength(text) > MAX_TEXT_BYTES) {
    log.sys("That message is too long to send");
    return false;
  }
  log.msg({ id: null, from: link.name || "You", text, mine: true });
  link.say(text);
  return true;
}, () => link.typing());

setConn("closed");
if (link.hasSession()) {
  log.restore();
  stage("resuming");
  link.resume();
} else {
  askName("");
}
