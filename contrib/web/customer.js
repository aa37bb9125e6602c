// SPDX-License-Identifier: ISC
// customer.js - the customer page (/): a name, the place in line, the conversation with the
// agent; reconnects and resumes by itself (link.js), so a reload or a network blip keeps the
// place in line and the conversation (kept by ui.js and store.js, replayed by ID).
//
// What is shown follows one state, set by the daemon's notices: who serves us, our place in
// line, whether any agent is here. After `resumed` the daemon sends that state again as a new
// client would get it (protocol 7.3), so it is forgotten there and rebuilt from what follows.

import { NAME_ERRORS, Page } from "./page.js";
import { store } from "./store.js";
import { $, show } from "./ui.js";

const PREFIX = "frontdesk.customer";
const FULL = "The line is full right now. Please try again in a few minutes.";

// What the page knows: agent (who serves us, "" nobody), position (our place in line, 0 not
// in line), offline (no agent is here), known (the daemon has said where we are).
const state = { agent: "", position: 0, offline: false, known: false };
// The agent last announced in the log, kept so that a reload does not announce them again.
let announced = store.get(PREFIX + ".agent") || "";

function stage(name) {
  show($("join-form"), name === "join");
  show($("talk"), name !== "join");
  show($("ended"), name === "ended");
  const talking = name !== "join" && name !== "ended";
  show($("composer"), talking);
  show($("wait"), talking && state.known && !state.agent);
  show($("wait-note"), talking && state.known && !state.agent && !state.offline);
  show($("chat"), talking && Boolean(state.agent));
}

// "about 4 minutes" from seconds.
function estimate(secs) {
  if (secs < 60) return "less than a minute";
  const min = Math.round(secs / 60);
  return min === 1 ? "about 1 minute" : "about " + min + " minutes";
}

// #wait: our place in line, and whether an agent is here to serve it.
function render() {
  $("agent-name").textContent = state.agent;
  show($("in-line"), state.position > 0);
  show($("no-agent"), state.offline);
  if (!page.ended && !$("talk").hidden) stage("talk");
}

function queued(args) {
  const n = Number(args[0]);
  const pos = $("position");
  pos.dataset.position = String(n);
  pos.textContent = String(n);
  const secs = args[1] === undefined ? NaN : Number(args[1]);
  show($("eta-part"), Number.isFinite(secs));
  $("eta").textContent = Number.isFinite(secs) ? estimate(secs) : "";
  if (state.agent) page.log.sys("You are back in line");
  Object.assign(state, { agent: "", position: n, known: true });
  render();
}

function announce(name) {
  if (name !== announced) page.log.sys(name + " joined the conversation");
  announced = name;
  store.set(PREFIX + ".agent", name);
}

function serving(name) {
  announce(name);
  Object.assign(state, { agent: name, position: 0, offline: false, known: true });
  render();
}

// The state as a fresh client learns it: nothing yet.
function reset() {
  Object.assign(state, { agent: "", position: 0, offline: false, known: false });
  render();
}

const notices = {
  welcome: reset,
  resumed: () => {
    page.log.sys("Reconnected");
    reset();
  },
  queued: (n) => queued(n.args),
  serving: (n) => serving(n.args[0]),
  transferred: (n) => {
    if (n.args[0]) {
      page.log.sys("Your conversation was passed to " + n.args[0]);
      serving(n.args[0]);
    } else {
      page.log.sys("You are back in line for the next agent");
      Object.assign(state, { agent: "", known: false }); // until its "queued"
      render();
    }
  },
  "agent-offline": () => {
    if (state.agent) page.log.sys(state.agent + " has left; your messages are kept for the next agent");
    Object.assign(state, { agent: "", offline: true, known: true });
    render();
  },
  "agent-online": (n) => {
    // Who serves us is said by the `serving` that follows, if it is us.
    if (state.offline) page.log.sys((n.args[0] || "An agent") + " is here");
    Object.assign(state, { offline: false });
    render();
  },
  bye: () => page.end("The conversation has ended"),
};

const page = new Page({
  prefix: PREFIX,
  place: "desk",
  joinErrors: { ...NAME_ERRORS, "queue-full": FULL, full: FULL },
  endings: {
    "": "The conversation has ended",
    kicked: "The agent ended the conversation",
    banned: "You cannot chat from this address",
    "session-resumed": "This conversation went on in another window",
    replaced: "This conversation went on in another window",
    timeout: "The conversation has ended after a long silence",
  },
  said: { "not-your-turn": "" },
  notices,
  stage,
  onMessage: (m) => {
    const from = m.from || state.agent || announced;
    page.typing.clear(from);
    page.log.msg({ id: m.id, from, text: m.text, mine: false, time: m.time || Date.now() });
  },
  onFile: (f) => {
    const from = f.from || state.agent || announced;
    page.typing.clear(from);
    page.log.file({ id: f.id, from, file: f, mine: from === page.name, history: f.history,
      time: f.time || Date.now() });
  },
  // The desk does not echo what the customer sends: a file kept is drawn here, as a message is.
  sentFile: (f) => page.log.file({ id: null, from: page.name || "You", file: f, mine: true }),
  onJoin: () => {
    announced = "";
    store.set(PREFIX + ".agent", "");
    reset();
    stage("talk");
  },
  sent: (text) => page.log.msg({ id: null, from: page.name || "You", text, mine: true }),
  onEnd: () => page.typing.clear(state.agent),
});

page.start("talk");
