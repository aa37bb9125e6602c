// SPDX-License-Identifier: ISC
// page.js - what the customer page and the room page do alike around their link: the join
// form and its errors, the connection's state and the line that says the daemon cannot be
// reached, the log and who is typing, the composer, "Start again", and the start (resume the
// kept session, or ask the name), files (the attach button, files in the log: files.js). Each
// page brings its own notices and words.

import { Files, fileView, safeName } from "./files.js";
import { MAX_TEXT_BYTES, byteLength } from "./frames.js";
import { Link } from "./link.js";
import { $, Log, Typing, attacher, composer, setConn, setFileRenderer, show } from "./ui.js";

// The daemon's rule for a name (src/common/nick.c): 1 to 32 characters, no control, format
// or blank character, colon or comma, not starting with "-". Checked here first, so that a
// name the page lets through is refused only for lack of room (or a ban, in a room).
const NICK_MAX_CHARS = 32;

export function nameProblem(name) {
  return !name || [...name].length > NICK_MAX_CHARS || name.startsWith("-") ||
    /[\s\p{Cc}\p{Cf}:,]/u.test(name);
}

export const NAME_ERRORS = {
  "nick-taken": "Someone here already uses that name. Please choose another.",
  "nick-in-use": "Someone here already uses that name. Please choose another.",
  "bad-nick": "That name cannot be used: up to 32 characters, no spaces, colons or commas.",
  "join-rate": "Too many people joined from your network just now. Please try again shortly.",
};

// opts: prefix (the storage keys' start), place ("desk" or "room", for the words),
// joinErrors ({code: text} shown on the form; `full` is also what a refusal before any
// notice shows), endings ({code: text} that end the session), notices ({keyword: fn}),
// said ({code: text} a non-fatal error puts in the log, "" nothing), stage(name) (what to
// show: "join", "ended", or the page's own), onMessage(m), onFile(f) (the link's "file"),
// onJoin() (a new session is asked for), sent(text) (the composer sends @text), sentFile(f)
// (a file of ours was kept: a page whose own messages are not echoed draws it), onEnd(text).
export class Page {
  constructor(opts) {
    this.opts = opts;
    this.link = new Link(opts.prefix);
    this.files = new Files(this.link);
    setFileRenderer((f) => fileView(f, this.files));
    this.log = new Log($("log"), opts.prefix + ".log");
    this.typing = new Typing($("typing"));
    this.ended = false;
    this.countdown = null;
    // What a non-fatal error says in the log ("": nothing, it is said elsewhere).
    this.said = {
      "frame-too-long": "That message is too long to send",
      "shutting-down": "The " + opts.place + " is restarting; reconnecting…",
      flood: "Slow down a little, please",
      "resume-failed": "",
      ...opts.said,
    };
    this.wire();
  }

  get name() { return this.link.name; }

  wire() {
    const { link } = this;
    link.addEventListener("state", (ev) => {
      setConn(ev.detail);
      if (ev.detail === "open") this.unreachable(false);
    });
    link.addEventListener("notice", (ev) => this.onNotice(ev.detail));
    link.addEventListener("message", (ev) => this.opts.onMessage(ev.detail));
    link.addEventListener("file", (ev) => this.opts.onFile(ev.detail));
    attacher($("attach"), $("attach-input"), (file) => this.attach(file));
    link.addEventListener("reconnecting", (ev) => { if (!this.ended) this.unreachable(ev.detail.delay); });
    link.addEventListener("resume-failed", () => {
      // The session is gone (expired, or ended while we were away): start afresh.
      this.log.clear();
      this.askName("");
    });
    link.addEventListener("refused", () => {
      // Closed before any notice could say why (link.js). A name this page let through is
      // refused only for lack of room, so it says what the daemon's queue-full says.
      if (this.ended) return;
      this.unreachable(false);
      this.log.clear();
      this.askName(this.opts.joinErrors.full);
    });
    link.addEventListener("ended", () => {
      this.unreachable(false);
      if ($("join-form").hidden) this.end(this.opts.endings[""]);
    });
    $("join-form").addEventListener("submit", (ev) => this.onJoin(ev));
    $("restart").addEventListener("click", () => {
      link.quit();
      this.log.clear();
      this.askName("");
    });
    composer($("composer"), $("text"), (text) => this.send(text), () => link.typing());
  }

  onNotice(n) {
    if (n.keyword === "welcome" || n.keyword === "resumed") this.unreachable(false);
    if (n.keyword === "welcome") this.sayRenamed(n.args[1]);
    if (n.keyword === "files") show($("attach"), Number(n.args[0]) > 0);
    else if (n.keyword === "caps" && !n.args.includes("files")) show($("attach"), false);
    if (n.keyword === "error") {
      if (!n.file) this.onError(n.args[0] || "", n.text); // files.js said it
    }
    else if (n.keyword === "typing") {
      if (n.args[0] && n.args[0] !== this.link.name) this.typing.saw(n.args[0]);
    }
    const f = this.opts.notices[n.keyword];
    if (f) f(n);
  }

  // The daemon renamed a taken name ("Ivy" to "Ivy6"): say so, once, plainly.
  sayRenamed(name) {
    const asked = this.link.asked;
    if (asked && name && name !== asked) this.log.sys(asked + " was taken: you are " + name);
  }

  onError(code, text) {
    const { joinErrors, endings } = this.opts;
    if (joinErrors[code] && !this.link.welcomed) {
      this.link.forget();
      this.log.clear();
      this.askName(joinErrors[code]);
    } else if (endings[code]) {
      this.end(endings[code]);
    } else if (code in this.said) {
      if (this.said[code]) this.log.sys(this.said[code]);
    } else {
      this.log.sys(text || "Something went wrong (" + code + ")");
    }
  }

  // "The desk cannot be reached; trying again in N s", one line updated in place until the
  // next try; false takes it away.
  unreachable(delay) {
    clearInterval(this.countdown);
    this.countdown = null;
    if (delay === false) {
      this.log.status(null);
      return;
    }
    const at = Date.now() + delay;
    const tell = () => {
      const secs = Math.max(1, Math.ceil((at - Date.now()) / 1000));
      this.log.status("The " + this.opts.place + " cannot be reached; trying again in " + secs + " s");
    };
    tell();
    this.countdown = setInterval(tell, 1000);
  }

  askName(error) {
    this.ended = false;
    const err = $("join-error");
    err.textContent = error || "";
    show(err, Boolean(error));
    if (!$("name").value && this.link.name) $("name").value = this.link.name;
    this.opts.stage("join");
    $("name").focus();
  }

  end(text) {
    if (this.ended) return;
    this.ended = true;
    this.unreachable(false);
    $("ended-text").textContent = text;
    this.opts.onEnd?.(text);
    this.opts.stage("ended");
    $("restart").focus();
  }

  onJoin(ev) {
    ev.preventDefault();
    const name = $("name").value.trim();
    if (nameProblem(name)) {
      this.askName(NAME_ERRORS["bad-nick"]);
      return;
    }
    show($("join-error"), false);
    this.log.clear();
    this.ended = false;
    this.opts.onJoin();
    this.link.join(name);
  }

  send(text) {
    if (byteLength(text) > MAX_TEXT_BYTES) {
      this.log.sys("That message is too long to send");
      return false;
    }
    const node = this.opts.sent?.(text);
    const sent = this.link.say(text);
    if (node) this.log.sending(node, sent);
    return true;
  }

  // Send @file (the attach button's) to the other side, its progress in the log.
  attach(file) {
    let u = null;
    const view = this.log.upload(safeName(file.name), () => u && this.files.cancel(u));
    u = this.files.upload(file, "*", {
      ...view,
      done: (up) => {
        view.done();
        this.opts.sentFile?.({ sha256: up.sha256, size: up.size, type: up.type, name: up.name });
      },
    });
  }

  // Resume the kept session, or ask the name.
  start(resumeStage) {
    setConn("closed");
    if (this.link.hasSession()) {
      this.log.restore();
      this.opts.stage(resumeStage);
      this.link.resume();
    } else {
      this.askName("");
    }
  }
}
