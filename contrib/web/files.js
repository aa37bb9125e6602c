// SPDX-License-Identifier: ISC
// files.js - files over the link (issue 19, capability "files"; README: Web clients, Files).
//
// Sending: the size is checked against the daemon's MAX (the notice "files MAX CHUNK") before
// anything goes out; the SHA-256 is computed with WebCrypto; then `file-offer TAG SIZE SHA256
// TYPE TO NAME`, and after `file-go TAG` the bytes in type 6 frames of CHUNK bytes, each one
// binary WebSocket message, sent while the socket's bufferedAmount is below HIGH_WATER: the
// page yields between batches, so chat typed meanwhile goes out between two, not after the
// file. Then `file-end TAG`, answered `file-done TAG SHA256`. One upload at a time; a cut
// connection sends it again from the offer once the link is back (the daemon dropped the
// partial one).
//
// Fetching: `file-get TAG SHA256`, then `file-start TAG SIZE TYPE`, the bytes, `file-end TAG`;
// at most two at a time (the daemon's bound). The SHA-256 is checked before anything is
// shown or saved. A file is never rendered as HTML: an image of an allowed type whose bytes
// begin as that type does is shown from a Blob of that type; anything else is only saved,
// from a Blob of type application/octet-stream, under the sanitised name.

import { encodeData } from "./frames.js";

// Shown inline: these, and never image/svg+xml (a document that can hold script).
export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const HIGH_WATER = 64 * 1024; // unsent bytes on the socket past which the next chunk waits
const DOWNLOADS_AT_ONCE = 2;
const KEEP_FETCHED = 8; // files whose bytes stay in memory (thumbnails shown again, a save)

// Whether this page can hash (WebCrypto: https, or http on loopback). Without it the page
// does not ask for "files" at all.
export function canHash() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && crypto.subtle);
}

async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

// "48 bytes", "12 KB", "12.4 MB" (KB and MB of 1024).
export function formatSize(n) {
  if (n < 1024) return n + (n === 1 ? " byte" : " bytes");
  if (n < 1024 * 1024) return Math.round(n / 1024) + " KB";
  return String(Math.round((n / 1048576) * 10) / 10) + " MB";
}

// What a terminal or a file manager obeys or hides, as the daemon's utf8_is_control(): C0 and
// C1 controls, the soft hyphen, bidi marks and overrides ("invoice<RLO>fdp.exe"), zero-width
// and invisible characters, the BOM, interlinear annotations; and halves of a surrogate pair,
// which are no character at all.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/gu;
const utf8 = new TextEncoder();

// The daemon's rule for a name (file_name_sanitise()), again here (a save never trusts the
// wire): the part after the last / or \, without what HIDDEN names, without leading dots and
// blanks, at most 128 bytes of UTF-8 cut between characters, no trailing blanks; "file" when
// nothing is left.
export function safeName(name) {
  const base = String(name).split(/[/\\]/).pop().replace(HIDDEN, "").replace(/^[. ]+/, "");
  let out = "", bytes = 0;
  for (const c of base) {
    bytes += utf8.encode(c).length;
    if (bytes > 128) break;
    out += c;
  }
  return out.replace(/ +$/, "") || "file";
}

// Whether @b begins as an image of @type does (PNG, JPEG, GIF, WebP signatures).
function looksLike(type, b) {
  const at = (i, s) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
  switch (type) {
  case "image/png": return at(0, "\x89PNG\r\n\x1a\n");
  case "image/jpeg": return b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  case "image/gif": return at(0, "GIF87a") || at(0, "GIF89a");
  case "image/webp": return at(0, "RIFF") && at(8, "WEBP");
  default: return false;
  }
}

// Why a fetch failed, for the line shown instead of the file.
export class FileProblem extends Error {
  constructor(kind) {
    super(kind);
    this.kind = kind; // "mismatch" | "gone" | "failed"
  }
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Files {
  constructor(link) {
    this.link = link;
    link.files = this;
    this.max = 0; // MAX_FILE_SIZE, 0 until the daemon said it
    this.chunk = 0;
    this.seq = 0;
    this.session = 0; // drop()s so far
    this.uploads = []; // waiting to be offered
    this.current = null; // the upload offered and not done
    this.queue = []; // downloads waiting
    this.active = new Map(); // tag -> download asked
    this.fetched = new Map(); // sha256 -> promise of its bytes
  }

  // Files can go out now: the daemon granted them on this connection.
  get ready() {
    return this.link.up() && this.link.granted.has("files") && this.chunk > 0;
  }

  tag(kind) {
    return kind + (++this.seq).toString(36);
  }

  // "files MAX CHUNK".
  limits(args) {
    this.max = Number(args[0]) || 0;
    this.chunk = Number(args[1]) || 0;
    this.pump();
  }

  // The connection went: what was on it starts again on the next one.
  cut() {
    this.chunk = 0;
    if (this.current) {
      this.current.view.progress(0);
      this.uploads.unshift(this.current);
      this.current = null;
    }
    for (const d of this.active.values()) {
      d.chunks = [];
      d.got = 0;
      this.queue.unshift(d);
    }
    this.active.clear();
  }

  // The session is over (what the link's outbox held is dropped too): an upload meant for
  // its conversation must not go to the next one.
  drop() {
    for (const u of this.current ? [this.current, ...this.uploads] : this.uploads) {
      u.cancelled = true;
      u.view.fail(u.name + " was not sent");
    }
    this.current = null;
    this.uploads = [];
    this.session++; // and those still being read and hashed
  }

  // Send @file to @to ("*" or a customer's name); @view shows it: progress(fraction or null
  // while hashing), done(file), fail(text). Returns the upload, for cancel().
  upload(file, to, view) {
    const u = { file, to, view, name: safeName(file.name), size: file.size, cancelled: false,
      session: this.session };
    u.type = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(file.type) ? file.type
      : "application/octet-stream";
    if (this.max && file.size > this.max) {
      view.fail(u.name + " is too large: " + formatSize(file.size) + ", the limit is " +
        formatSize(this.max));
      return u;
    }
    view.progress(null);
    file.arrayBuffer().then(async (buf) => {
      u.bytes = new Uint8Array(buf);
      u.sha256 = await sha256(u.bytes);
      if (u.cancelled) return;
      if (u.session !== this.session) {
        view.fail(u.name + " was not sent");
        return;
      }
      this.uploads.push(u);
      this.pump();
    }, () => view.fail(u.name + " could not be read"));
    return u;
  }

  cancel(u) {
    u.cancelled = true;
    this.uploads = this.uploads.filter((x) => x !== u);
    if (this.current === u) {
      this.link.command("file-cancel " + u.tag);
      this.current = null;
      this.pump();
    }
  }

  pump() {
    if (!this.ready) return;
    if (!this.current && this.uploads.length) {
      const u = this.uploads.shift();
      this.current = u;
      u.tag = this.tag("u");
      u.sent = 0;
      this.link.command(["file-offer", u.tag, u.size, u.sha256, u.type, u.to, u.name].join(" "));
    }
    while (this.active.size < DOWNLOADS_AT_ONCE && this.queue.length) {
      const d = this.queue.shift();
      d.tag = this.tag("d");
      this.active.set(d.tag, d);
      this.link.command("file-get " + d.tag + " " + d.sha256);
    }
  }

  // After `file-go`: the chunks, as the socket takes them, then `file-end`. The page yields
  // after each batch (what fits under HIGH_WATER), so chat typed meanwhile goes out between
  // two batches: behind at most HIGH_WATER bytes of the file, never behind all of it.
  async send(u) {
    const ws = this.link.ws;
    while (u.sent < u.size) {
      if (this.current !== u || this.link.ws !== ws || !this.ready) return; // cut or cancelled
      while (u.sent < u.size && ws.bufferedAmount < HIGH_WATER) {
        const n = Math.min(this.chunk, u.size - u.sent);
        ws.send(encodeData(u.tag, u.bytes.subarray(u.sent, u.sent + n)));
        u.sent += n;
      }
      u.view.progress(u.sent / u.size);
      await wait(ws.bufferedAmount < HIGH_WATER ? 0 : 5);
    }
    if (this.current === u && this.link.ws === ws) this.link.command("file-end " + u.tag);
  }

  // The bytes of the file @f ({sha256, size, name}), checked: a promise.
  fetch(f) {
    let p = this.fetched.get(f.sha256);
    if (!p) {
      p = new Promise((resolve, reject) => {
        this.queue.push({ sha256: f.sha256, size: f.size, chunks: [], got: 0, resolve, reject });
      });
      p.catch(() => this.fetched.delete(f.sha256)); // asked again on the next click
      this.fetched.set(f.sha256, p);
      if (this.fetched.size > KEEP_FETCHED) this.fetched.delete(this.fetched.keys().next().value);
      this.pump();
    }
    return p;
  }

  onData(tag, bytes) {
    const d = this.active.get(tag);
    if (!d) return;
    d.got += bytes.length;
    if (d.got > d.size) {
      this.link.command("file-cancel " + tag);
      this.finish(d, new FileProblem("mismatch"));
      return;
    }
    d.chunks.push(bytes);
  }

  async finish(d, problem) {
    this.active.delete(d.tag);
    this.pump();
    if (problem) {
      d.reject(problem);
      return;
    }
    const all = new Uint8Array(d.got);
    let at = 0;
    for (const c of d.chunks) {
      all.set(c, at);
      at += c.length;
    }
    d.chunks = [];
    if ((await sha256(all)) !== d.sha256) d.reject(new FileProblem("mismatch"));
    else d.resolve(all);
  }

  // The link's notices about transfers; true when @n was about one of ours.
  onNotice(n) {
    const tag = n.args[0];
    const u = this.current && this.current.tag === tag ? this.current : null;
    const d = this.active.get(tag);
    switch (n.keyword) {
    case "file-go":
      if (u) this.send(u);
      return Boolean(u);
    case "file-done":
      if (!u) return false;
      this.current = null;
      u.view.done(u);
      this.pump();
      return true;
    case "file-start":
      if (d) d.size = Number(n.args[1]) || 0;
      return Boolean(d);
    case "file-end":
      if (d) this.finish(d, null);
      return Boolean(d);
    default:
      return false;
    }
  }

  // `error CODE TAG -- text` about one of ours: said where it belongs; true if so.
  onError(n) {
    const [code, tag] = n.args;
    if (this.current && this.current.tag === tag) {
      const u = this.current;
      this.current = null;
      u.view.fail(uploadProblem(u, code, n.text, this.max));
      this.pump();
      return true;
    }
    const d = this.active.get(tag);
    if (d) {
      this.finish(d, new FileProblem(code === "file-gone" ? "gone" : "failed"));
      return true;
    }
    return code === "file-unknown"; // data for a transfer given up: nothing to say
  }
}

function uploadProblem(u, code, text, max) {
  const why = {
    "file-too-large": "is too large: " + formatSize(u.size) + ", the limit is " + formatSize(max),
    "files-full": "could not be sent: there is no room for files right now",
    "file-corrupt": "did not arrive intact; please attach it again",
    "file-timeout": "took too long to send; please attach it again",
    "no-customer": "has nobody to go to",
    "store-unavailable": "could not be kept right now; please try again later",
  }[code];
  return u.name + " " + (why || "could not be sent (" + (text || code) + ")");
}

// The file @f ({sha256, size, type, name}) in a message: its name and size as a button that
// saves it, and above it, for an image, the thumbnail; fetched through @files.
export function fileView(f, files) {
  const box = document.createElement("div");
  box.className = "file";
  const save = document.createElement("button");
  save.type = "button";
  save.className = "file-save";
  const name = safeName(f.name);
  save.textContent = name + " (" + formatSize(f.size) + ")";
  save.title = "Save " + name;
  const problem = (e) => {
    let line = box.querySelector(".file-problem");
    if (!line) {
      line = document.createElement("p");
      line.className = "file-problem";
      box.append(line);
    }
    box.querySelector(".thumb")?.remove();
    line.textContent = {
      mismatch: name + " did not arrive intact (its SHA-256 does not match): not shown",
      gone: name + " is no longer kept",
    }[e.kind] || name + " could not be fetched";
  };
  save.addEventListener("click", () => {
    files.fetch(f).then((bytes) => saveBytes(bytes, name), problem);
  });
  if (IMAGE_TYPES.has(f.type)) {
    const img = document.createElement("img");
    img.className = "thumb";
    img.alt = name;
    box.append(img);
    files.fetch(f).then((bytes) => {
      if (!looksLike(f.type, bytes)) {
        img.remove(); // not what it says it is: saved, never shown
        return;
      }
      img.src = URL.createObjectURL(new Blob([bytes], { type: f.type }));
    }, problem);
  }
  box.append(save);
  return box;
}

// Save @bytes as @name: a Blob of application/octet-stream (never rendered), a download link.
function saveBytes(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
