// SPDX-License-Identifier: ISC
// room.js - the room page (/room): join with a name, the last messages on joining, who is
// here, the topic, the messages, who is typing. Every message, ours included, comes back from
// the room in the one order all members see (type 5 with CONV "*"), so nothing is drawn
// before the daemon has it. Reconnects and resumes by itself (link.js, page.js).

import { NAME_ERRORS, Page } from "./page.js";
import { $, show } from "./ui.js";

const FULL = "We could not let you in: the room is full right now, or that name is not " +
  "allowed here. Please try again in a few minutes.";
const members = new Set();
// Set by the welcome: the daemon's "renamed ASKED NAME" that follows a taken name is the one
// the welcome already explained.
let joinRename = null;

function stage(name) {
  show($("join-form"), name === "join");
  show($("talk"), name !== "join");
  show($("ended"), name === "ended");
  show($("composer"), name === "room");
}

// ul#members, one li per name, in name order.
function renderMembers() {
  const items = [...members].sort((a, b) => a.localeCompare(b)).map((name) => {
    const li = document.createElement("li");
    li.textContent = name;
    if (name === page.name) li.className = "me";
    return li;
  });
  $("members").replaceChildren(...items);
  $("member-count").textContent = "(" + members.size + ")";
}

function setTopic(text) {
  $("topic").textContent = text;
}

function entered() {
  stage("room");
  members.clear();
  page.link.command("who");
}

function renamed(from, to) {
  members.delete(from);
  members.add(to);
  renderMembers();
  if (joinRename && joinRename[0] === from && joinRename[1] === to) {
    joinRename = null; // said as "tom was taken: you are tom2"
  } else if (to === page.name) {
    page.log.sys("You are now known as " + to);
  } else {
    page.log.sys(from + " is now known as " + to);
  }
}

const notices = {
  welcome: (n) => {
    joinRename = page.link.asked !== n.args[1] ? [page.link.asked, n.args[1]] : null;
    entered();
  },
  resumed: () => {
    page.log.sys("Reconnected");
    entered();
  },
  member: (n) => { members.add(n.args[0]); renderMembers(); },
  joined: (n) => {
    members.add(n.args[0]);
    renderMembers();
    if (n.args[0] !== page.name) page.log.sys(n.args[0] + " joined");
  },
  left: (n) => {
    members.delete(n.args[0]);
    page.typing.clear(n.args[0]);
    renderMembers();
    page.log.sys(n.args[0] + " left");
  },
  renamed: (n) => {
    // link.js already calls us by the new name if it is ours (the welcome's, or the daemon's).
    const [from, to] = n.args;
    if (from === page.name) page.link.name = to;
    renamed(from, to);
  },
  kicked: (n) => {
    members.delete(n.args[0]);
    renderMembers();
    page.log.sys(n.args[0] + " was removed by " + n.args[1]);
  },
  topic: (n) => setTopic(n.text),
  "topic-none": () => setTopic(""),
  "history-start": (n) => { if (Number(n.args[0]) > 0) page.log.sys("Earlier messages"); },
  gap: () => page.log.sys("Some messages from while you were away are no longer kept"),
  "cluster-down": () => page.log.sys("The room is catching up; your messages will be sent shortly"),
};

const page = new Page({
  prefix: "frontdesk.room",
  place: "room",
  joinErrors: { ...NAME_ERRORS, full: FULL },
  endings: {
    "": "You left the room",
    kicked: "You were removed from the room",
    banned: "You cannot join this room",
    "session-resumed": "You joined the room in another window",
  },
  said: { muted: "You are muted: your message was not sent" },
  notices,
  stage,
  onMessage: (m) => {
    let from = m.from;
    let text = m.text;
    if (m.id === null) {
      // Without "ids": "NICK: TEXT".
      const cut = text.indexOf(": ");
      from = cut > 0 ? text.slice(0, cut) : "";
      text = cut > 0 ? text.slice(cut + 2) : text;
    }
    page.typing.clear(from);
    const priv = m.conv && m.conv.startsWith("@");
    page.log.msg({
      id: m.id, from, text, mine: from === page.name, history: Boolean(m.history),
      time: m.time || Date.now(), note: priv ? "private" : undefined,
    });
  },
  // The room echoes a member's own file, as its messages: drawn then (no sentFile).
  onFile: (f) => {
    page.typing.clear(f.from);
    page.log.file({ id: f.id, from: f.from, file: f, mine: f.from === page.name,
      history: f.history, time: f.time || Date.now(),
      note: f.conv.startsWith("@") ? "private" : undefined });
  },
  onJoin: () => stage("room"),
});

page.start("room");
