// SPDX-License-Identifier: ISC
// link.js - one WebSocket to the daemon on the page's own host (/ws, or /ws/agent for the
// agent console's AgentLink below), kept up: the handshake (nickname, "hello notices",
// "caps ids resume typing files", plus "agent" for agents; "files" only where the page can
// hash, see files.js), the session token and the highest message ID seen (sessionStorage by
// store.js, so a reload resumes), reconnection with backoff, and "resume TOKEN LAST" after a
// cut, so that nothing is missed and nothing comes twice.
//
// Liveness: a WebSocket whose network went silent (a Wi-Fi switch, a NAT that dropped the
// mapping) stays "open" in the browser for minutes. So after 25 s with nothing received the
// link sends the command `ping N` (every connection has it; the daemon answers `pong N` in
// order), and if nothing at all arrives within 10 s more it drops the connection and
// reconnects and resumes as after any cut. Any frame received restarts the clock. The
// capability `ping` is not asked for: the page's own ping works whatever the daemon's
// peer_timeout, and the daemon finds a dead page by TCP keepalive anyway.
//
// Sending: say() returns a promise, true once the daemon has the message, false if it never
// will (the session ended). A message goes out at once when the link is up, else waits in the
// outbox until the `welcome` or `resumed`. Each one sent is followed by `ping N`; the `pong N`
// (answered in order) confirms it. One not confirmed when its connection is lost goes back to
// the outbox and out again after the resume: what a dead connection swallowed is sent again.
//
// A page listens to its events: "state" (detail: "connecting" | "open" | "closed"),
// "notice" ({keyword, args, text, raw}: raw the whole body; file: true on an error about a
// transfer of files.js, which says it itself), "message" ({id, time, conv, from, text}; id
// null for a type 2 message), "file" ({id, time, conv, from, sha256, size, type, name,
// history}: the notice `file`, kept in order with the messages), "reconnecting" ({delay} in
// ms), "resume-failed", "refused" (a new join closed before its welcome: the daemon tells why
// only to clients that opted into notices, which a refused name has not had the chance to do,
// so the page can only guess: the line is full, or the name is not allowed) and "ended" (the
// daemon closed the session on purpose: no reconnection).

import { store } from "./store.js";
import { canHash } from "./files.js";
import { ANSWER, CHALLENGE, COMMAND, MESSAGE, NICKNAME, NOTICE, TAGGED, decode, decodeData,
  encode, parseFile, parseNotice, parseTagged } from "./frames.js";

// Error codes after which coming back by itself would be wrong: the name or the place is
// refused, or someone ended the session on purpose. Any other fatal error (shutting-down,
// server-full, timeout of a ping, slow-consumer...) is worth a reconnection.
const FINAL = new Set([
  "nick-taken", "nick-in-use", "bad-nick", "queue-full", "kicked", "banned", "replaced",
  "session-resumed", "auth-failed", "agent-not-allowed", "expected-nickname", "bad-frame",
  "bad-utf8", "unknown-type", "join-rate", "agent-busy",
]);
// Errors after which the connection goes on (README: Notices).
const MILD = new Set([
  "not-your-turn", "no-customer", "flood", "store-unavailable", "cluster-unavailable",
  "frame-too-long", "unknown-command", "bad-command", "resume-failed", "muted", "no-such-nick",
  "not-operator", "no-such-reply", "no-agent", "agent-unavailable", "file-too-large",
  "files-full", "file-bad", "file-corrupt", "file-unknown", "file-timeout", "file-gone",
]);
// Asked for only where files.js can check a file's SHA-256.
const FILES = canHash() ? " files" : "";
const TYPING_EVERY_MS = 3000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const QUIET_MS = 25000; // nothing received this long: ask (`ping N`)
const ANSWER_MS = 10000; // and nothing this much longer: the connection is dead

export class Link extends EventTarget {
  // prefix: the sessionStorage keys' start, e.g. "frontdesk.customer"; path: the WebSocket's;
  // caps: the capabilities asked for.
  constructor(prefix, path = "/ws", caps = "ids resume typing") {
    super();
    this.prefix = prefix;
    this.path = path;
    this.caps = caps + FILES;
    this.files = null; // files.js's Files, which hears of transfers
    this.ws = null;
    this.name = "";
    this.asked = ""; // the name last sent as a nickname
    this.granted = new Set();
    this.welcomed = false; // the handshake is done on this connection
    this.joining = false; // a nickname went out on this connection, no welcome yet
    this.awaitingName = false; // connected, and the daemon waits for a nickname
    this.retry = false;
    this.backoff = BACKOFF_MIN_MS;
    this.timer = null;
    this.lastTyping = new Map(); // whom typing was last told to ("" the only one), when
    this.outbox = []; // {text, done}: to send once welcomed
    this.unconfirmed = []; // {text, done, seq}: sent on this connection, no pong yet
    this.seq = 0; // the last `ping N` sent
    this.quiet = null; // the liveness timer
  }

  get token() { return store.get(this.prefix + ".session") || ""; }
  get last() { return Number(store.get(this.prefix + ".last") || 0); }
  set last(id) { store.set(this.prefix + ".last", String(id)); }
  hasSession() { return this.token !== ""; }

  // Forget the session (a new conversation begins): its token, its IDs.
  forget() {
    for (const k of ["session", "last", "epoch"]) store.remove(this.prefix + "." + k);
  }

  // Connect and resume the stored session.
  resume() {
    this.retry = true;
    this.connect();
  }

  // Join as @name, a new session: on the open connection if it waits for a name, else on a
  // new one.
  join(name) {
    this.forget();
    this.dropOutbox();
    this.name = name;
    this.retry = true;
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.awaitingName) this.handshake();
    else this.connect();
  }

  // Leave for good: "quit", and no reconnection.
  quit() {
    this.retry = false;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(encode(COMMAND, "quit"));
    this.forget();
    this.dropOutbox();
  }

  // Send a message: a promise of true once the daemon has it, false if it never will.
  say(text) {
    return new Promise((done) => {
      const m = { text, done };
      if (this.up()) this.post(m);
      else this.outbox.push(m); // sent once the connection is back
    });
  }

  up() {
    return this.welcomed && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  // @m out now, and a ping behind it whose pong says the daemon read it.
  post(m) {
    m.seq = ++this.seq;
    this.unconfirmed.push(m);
    this.ws.send(encode(MESSAGE, m.text));
    this.ws.send(encode(COMMAND, "ping " + m.seq));
  }

  // `pong N`: everything sent before `ping N` was read.
  onPong(token) {
    const n = Number(token);
    if (!Number.isInteger(n)) return;
    while (this.unconfirmed.length && this.unconfirmed[0].seq <= n) this.unconfirmed.shift().done(true);
  }

  // The messages not known to have arrived go (back) to the outbox, oldest first.
  requeue() {
    this.outbox = this.unconfirmed.splice(0).concat(this.outbox);
  }

  // The session is over: what waits will never be sent.
  dropOutbox() {
    this.requeue();
    for (const m of this.outbox.splice(0)) m.done(false);
    this.files?.drop();
  }

  command(text) {
    if (this.up()) this.ws.send(encode(COMMAND, text));
  }

  // Liveness (above): (re)start the clock; a connection waiting for its user's name sends
  // nothing and is asked nothing.
  arm() {
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.onQuiet(), QUIET_MS);
  }

  onQuiet() {
    if (this.awaitingName) return;
    if (this.up()) this.ws.send(encode(COMMAND, "ping " + ++this.seq));
    this.quiet = setTimeout(() => this.onDead(), ANSWER_MS);
  }

  // Nothing came back: a close handshake would wait on the dead network too, so the socket
  // is let go at once and the link goes on as after any cut.
  onDead() {
    const ws = this.ws;
    ws.onclose = null;
    ws.onmessage = null;
    ws.close();
    this.onClose(ws, true);
  }

  // The user is typing (to @to, an agent's customer, or the other side): tell them, at most
  // once every 3 s each, if the daemon knows how.
  typing(to = "") {
    const now = Date.now();
    if (!this.granted.has("typing") || now - (this.lastTyping.get(to) || 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(to, now);
    this.command(to ? "typing " + to : "typing");
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.requeue(); // its pongs will never come
      this.files?.cut();
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + location.host + this.path);
    ws.binaryType = "arraybuffer"; // type 6 frames: a file's bytes
    this.ws = ws;
    this.welcomed = false;
    this.awaitingName = false;
    this.emit("state", "connecting");
    ws.onopen = () => this.onOpen();
    ws.onmessage = (ev) => {
      this.arm();
      this.onFrame(ev.data);
    };
    this.arm(); // a connection that never opens is dead too
    ws.onclose = () => this.onClose(ws);
  }

  onOpen() {
    this.emit("state", "open");
    this.begin();
  }

  // The connection is ready for the handshake (after the challenge on a keyed one).
  begin() {
    if (this.token) {
      // Nothing more goes out until "resumed" or "error resume-failed" (protocol 7.3).
      this.ws.send(encode(COMMAND, "resume " + this.token + " " + this.last));
    } else if (this.name) {
      this.handshake();
    } else {
      this.awaitingName = true;
    }
  }

  handshake() {
    this.asked = this.name; // the welcome says what the daemon made of it
    this.awaitingName = false;
    this.joining = true;
    this.arm();
    this.ws.send(encode(NICKNAME, this.name));
    this.ws.send(encode(COMMAND, "hello notices"));
    this.ws.send(encode(COMMAND, "caps " + this.caps));
  }

  onFrame(data) {
    if (typeof data !== "string") {
      const d = decodeData(data);
      if (d) this.files?.onData(d.tag, d.bytes);
      return;
    }
    const f = decode(data);
    if (!f) return;
    if (f.type === CHALLENGE) this.onChallenge(f.body);
    else if (f.type === NOTICE) this.onNotice({ ...parseNotice(f.body), raw: f.body });
    else if (f.type === TAGGED) this.onTagged(f.body);
    else if (f.type === MESSAGE) this.emit("message", { id: null, from: "", text: f.body });
  }

  // A challenge on a listener without keys for this kind of client: not expected; ignored.
  onChallenge() {}

  onTagged(body) {
    const m = parseTagged(body);
    if (!m) return;
    // A replay overlapping what this tab saw: shown once. History goes back on purpose.
    if (!this.inHistory) {
      if (m.id <= this.last) return;
      this.last = m.id;
    }
    m.history = this.inHistory;
    this.emit("message", m);
  }

  // The notice `file ...`: numbered as messages are, so seen once, as they are.
  onFile(raw) {
    const f = parseFile(raw);
    if (!f) return;
    if (!this.inHistory) {
      if (f.id <= this.last) return;
      this.last = f.id;
    }
    f.history = this.inHistory;
    this.emit("file", f);
  }

  onNotice(n) {
    const p = this.prefix;
    switch (n.keyword) {
    case "welcome":
    case "resumed":
      this.name = n.keyword === "welcome" ? n.args[1] : n.args[0];
      this.welcomed = true;
      this.joining = false;
      this.backoff = BACKOFF_MIN_MS;
      for (const m of this.outbox.splice(0)) this.post(m);
      break;
    case "pong":
      this.onPong(n.args[0]);
      break;
    case "session":
      store.set(p + ".session", n.args[0]);
      break;
    case "caps":
      this.granted = new Set(n.args);
      break;
    case "files":
      this.files?.limits(n.args);
      break;
    case "file":
      this.onFile(n.raw);
      break;
    case "file-go":
    case "file-done":
    case "file-start":
    case "file-end":
      this.files?.onNotice(n);
      break;
    case "epoch":
      if (store.get(p + ".epoch") !== n.args[0]) this.last = 0;
      store.set(p + ".epoch", n.args[0]);
      break;
    case "history-start":
      this.inHistory = true;
      break;
    case "history-end":
      this.inHistory = false;
      break;
    case "bye":
      this.retry = false;
      this.forget();
      this.dropOutbox();
      break;
    case "error":
      this.onError(n);
      break;
    }
    this.emit("notice", n);
  }

  onError(n) {
    const code = n.args[0] || "";
    if (this.files?.onError(n)) {
      n.file = true;
      return;
    }
    if (code === "resume-failed") {
      // The handshake goes on: the daemon waits for a nickname on this connection.
      this.forget();
      this.dropOutbox(); // they belonged to the conversation that is gone
      this.awaitingName = true;
      this.emit("resume-failed", n);
      return;
    }
    if (MILD.has(code)) return;
    if (FINAL.has(code)) {
      this.retry = false;
      if (code !== "session-resumed") this.forget();
    }
    // A session ended by an idle timeout cannot be resumed; a ping's can: try, and hear.
  }

  // @dead: the liveness check gave up on it (not a refusal, whatever the handshake's stage).
  onClose(ws, dead = false) {
    if (ws !== this.ws) return;
    clearTimeout(this.quiet);
    const refused = this.joining && !dead;
    this.welcomed = false;
    this.awaitingName = false;
    this.joining = false;
    this.requeue();
    this.files?.cut();
    this.emit("state", "closed");
    if (refused && this.retry) {
      this.retry = false;
      this.dropOutbox();
      this.emit("refused");
      return;
    }
    if (!this.retry) {
      this.dropOutbox();
      this.emit("ended");
      return;
    }
    if (!this.token && !this.name) return;
    // Backoff with jitter, so that a restarted daemon is not hit by every page at once.
    const delay = Math.round(this.backoff * (0.75 + Math.random() * 0.5));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.emit("reconnecting", { delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

// The agent console's link (README: Web clients): /ws/agent, "caps ids resume typing agent",
// and on every connection the key's answer to the challenge that comes first:
// hex(HMAC-SHA256(key, the challenge's 32 bytes)), by WebCrypto, which only a secure context
// has (https, or http on loopback). The key is held as a CryptoKey that cannot be exported:
// the link keeps no copy of its text (agent.js keeps one only if the agent asks).
export class AgentLink extends Link {
  constructor(prefix) {
    super(prefix, "/ws/agent", "ids resume typing agent");
    this.key = null;
  }

  // @text: the key file's text as pasted; the key is its UTF-8 bytes less one trailing newline.
  async setKey(text) {
    const bytes = new TextEncoder().encode(text.endsWith("\n") ? text.slice(0, -1) : text);
    this.key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" },
      false, ["sign"]);
  }

  onOpen() {
    this.emit("state", "open");
    // Until the welcome, a close is a refusal (a wrong key, a name not allowed, a full desk);
    // not on a resume's connection, which a restart may cut: a refusal there comes as an
    // error notice (auth-failed is final), and a close is a cut like any other.
    this.joining = !this.token;
  }

  async onChallenge(hex) {
    const ws = this.ws;
    if (!/^[0-9a-fA-F]{64}$/.test(hex) || !this.key) {
      ws.close();
      return;
    }
    const challenge = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", this.key, challenge));
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encode(ANSWER, Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")));
    this.begin();
  }
}
