// SPDX-License-Identifier: ISC
// room.js - the room page (/room): join with a name, the last messages on joining, who is
// here, the topic, the messages, who is typing. Every message, ours included, comes back from
// the room in the one order all members see (type 5 with CONV "*"), so nothing is drawn
// before the daemon has it. Reconnects and resumes by itself (link.js).

import { MAX_TEXT_BYTES, byteLength } from "./frames.js";
import { Link } from "./link.js";
import { $, Log, Typing, composer, setConn, show } from "./ui.js";

const PREFIX = "frontdesk.room";
const link = new Link(PREFIX);
const log = new Log($("log"), PREFIX + ".log");
const typing = new Typing($("typing"));
const members = new Set();
let ended = false;

const JOIN_ERRORS = {
  "nick-taken": "Someone here already uses that name. Please choose another.",
  "nick-in-use": "Someone here already uses that name. Please choose another.",
  "bad-nick": "That name cannot be used: up to 32 characters, no spaces, colons or commas.",
  "join-rate": "Too many people joined from your network just now. Please try again shortly.",
};
const ENDINGS = {
  kicked: "You were removed from the room",
  banned: "You cannot join this room",
  "session-resumed": "You joined the room in another window",
};

function stage(name) {
  show($("join-form"), name === "join");
  show($("talk"), name !== "join");
  show($("ended"), name === "ended");
  show($("composer"), name === "room");
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

function endRoom(text) {
  if (ended) return;
  ended = true;
  $("ended-text").textContent = text;
  stage("ended");
}

// ul#members, one li per name, in name order.
function renderMembers() {
  const items = [...members].sort((a, b) => a.localeCompare(b)).map((name) => {
    const li = document.createElement("li");
    li.textContent = name;
    if (name === link.name) li.className = "me";
    return li;
  });
  $("members").replaceChildren(...items);
  $("member-count").textContent = "(" + members.size + ")";
}

function setTopic(text) {
  $("topic").textContent = text;
}

const notices = {
  welcome: () => {
    stage("room");
    members.clear();
    link.command("who");
  },
  resumed: () => {
    stage("room");
    log.sys("Reconnected");
    members.clear();
    link.command("who");
  },
  member: (n) => { members.add(n.args[0]); renderMembers(); },
  joined: (n) => {
    members.add(n.args[0]);
    renderMembers();
    if (n.args[0] !== link.name) log.sys(n.args[0] + " joined");
  },
  left: (n) => {
    members.delete(n.args[0]);
    typing.clear(n.args[0]);
    renderMembers();
    log.sys(n.args[0] + " left");
  },
  renamed: (n) => {
    const [from, to] = n.args;
    if (from === link.name) link.name = to; // what the daemon calls us now
    members.delete(from);
    members.add(to);
    renderMembers();
    log.sys(from + " is now known as " + to);
  },
  kicked: (n) => {
    members.delete(n.args[0]);
    renderMembers();
    log.sys(n.args[0] + " was removed by " + n.args[1]);
  },
  topic: (n) => setTopic(n.text),
  "topic-none": () => setTopic(""),
  "history-start": (n) => { if (Number(n.args[0]) > 0) log.sys("Earlier messages"); },
  gap: () => log.sys("Some messages from while you were away are no longer kept"),
  typing: (n) => { if (n.args[0] && n.args[0] !== link.name) typing.saw(n.args[0]); },
  "cluster-down": () => log.sys("The room is catching up; your messages will be sent shortly"),
  error: (n) => onError(n.args[0] || "", n.text),
};

function onError(code, text) {
  if (JOIN_ERRORS[code] && !link.welcomed) {
    link.forget();
    log.clear();
    askName(JOIN_ERRORS[code]);
  } else if (ENDINGS[code]) {
    endRoom(ENDINGS[code]);
  } else if (code === "shutting-down") {
    log.sys("The room is restarting; reconnecting…");
  } else if (code === "muted") {
    log.sys("You are muted: your message was not sent");
  } else if (code === "flood") {
    log.sys("Slow down a little, please");
  } else if (code !== "resume-failed") {
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
  let from = m.from;
  let text = m.text;
  if (m.id === null) {
    // Without "ids": "NICK: TEXT".
    const cut = text.indexOf(": ");
    from = cut > 0 ? text.slice(0, cut) : "";
    text = cut > 0 ? text.slice(cut + 2) : text;
  }
  typing.clear(from);
  const priv = m.conv && m.conv.startsWith("@");
  log.msg({
    id: m.id, from, text, mine: from === link.name, history: Boolean(m.history),
    time: m.time || Date.now(), note: priv ? "private" : undefined,
  });
});
link.addEventListener("reconnecting", () => {
  if (!ended) log.sys("Reconnecting…");
});
link.addEventListener("resume-failed", () => {
  log.clear();
  askName("");
});
link.addEventListener("refused", () => {
  if (ended) return;
  log.clear();
  askName("We could not let you in: the room may be full, or that name is not allowed. " +
    "Please try again in a few minutes.");
});
link.addEventListener("ended", () => {
  if ($("join-form").hidden) endRoom("You left the room");
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
  ended = false;
  stage("room");
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
  link.say(text);
  return true;
}, () => link.typing());

setConn("closed");
if (link.hasSession()) {
  log.restore();
  stage("room");
  link.resume();
} else {
  askName("");
}
