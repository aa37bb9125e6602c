// SPDX-License-Identifier: ISC
// frames.js - the framed protocol's frames (LLLL|T|BODY), as the daemon's WebSocket carries
// them: one frame per text message, but type 6 (a file's bytes, "TAG BYTES") in a binary
// message, as bytes. LLLL counts the BYTES of the whole frame in UTF-8, so a name or a
// message with accents or emoji is measured with TextEncoder, never by .length.

export const NICKNAME = 1;
export const MESSAGE = 2;
export const NOTICE = 3;
export const COMMAND = 4;
export const TAGGED = 5; // a message with its ID (capability "ids")
export const DATA = 6; // a file's bytes, "TAG BYTES" (capability "files"), binary
export const CHALLENGE = 7; // a keyed listener's first frame: 64 hex digits (protocol 6)
export const ANSWER = 8; // the client's answer to it

// The longest message text the daemon takes (protocol 7.2: 9,992 less 200 for the tag).
export const MAX_TEXT_BYTES = 9792;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function byteLength(text) {
  return encoder.encode(text).length;
}

// encode(type, body) - the frame as a string, ready for WebSocket.send().
export function encode(type, body) {
  const len = 7 + byteLength(body);
  if (len > 9999) throw new RangeError("frame too long");
  return String(len).padStart(4, "0") + "|" + type + "|" + body;
}

// decode(text) - {type, body} of one WebSocket message, or null when it is not one frame.
export function decode(text) {
  const bytes = encoder.encode(text);
  if (bytes.length < 7 || text[4] !== "|" || text[6] !== "|") return null;
  const len = Number(text.slice(0, 4));
  const type = Number(text[5]);
  if (!/^\d{4}$/.test(text.slice(0, 4)) || !/\d/.test(text[5]) || len !== bytes.length)
    return null;
  return { type, body: decoder.decode(bytes.subarray(7)) };
}

// parseNotice(body) - "KEYWORD ARGS -- text" as {keyword, args, text}.
export function parseNotice(body) {
  const cut = body.indexOf(" -- ");
  let head = body;
  let text = "";
  if (cut >= 0) {
    head = body.slice(0, cut);
    text = body.slice(cut + 4);
  } else if (body.endsWith(" --")) {
    head = body.slice(0, -3);
  }
  const words = head.split(" ").filter((w) => w !== "");
  return { keyword: words[0] || "", args: words.slice(1), text };
}

// parseTagged(body) - type 5's "ID TIME CONV FROM TEXT" as {id, time, conv, from, text}, or
// null. TEXT is everything after FROM's one space, verbatim (spaces and newlines included).
export function parseTagged(body) {
  const m = /^(\d+) (\d+) (\S+) (\S+) ([\s\S]*)$/.exec(body);
  if (!m) {
    const bare = /^(\d+) (\d+) (\S+) (\S+)$/.exec(body); // an empty text without its space
    if (!bare) return null;
    return { id: Number(bare[1]), time: Number(bare[2]), conv: bare[3], from: bare[4], text: "" };
  }
  return { id: Number(m[1]), time: Number(m[2]), conv: m[3], from: m[4], text: m[5] };
}

// encodeData(tag, bytes) - a type 6 frame "LLLL|6|TAG BYTES" as bytes, for one binary
// WebSocket message; @bytes (a Uint8Array) go as they are.
export function encodeData(tag, bytes) {
  const head = encoder.encode(tag + " ");
  const len = 7 + head.length + bytes.length;
  if (len > 9999) throw new RangeError("frame too long");
  const out = new Uint8Array(len);
  out.set(encoder.encode(String(len).padStart(4, "0") + "|" + DATA + "|"), 0);
  out.set(head, 7);
  out.set(bytes, 7 + head.length);
  return out;
}

// decodeData(buffer) - {tag, bytes} of a binary message (an ArrayBuffer) that is one type 6
// frame, or null. @bytes is a view into @buffer.
export function decodeData(buffer) {
  const b = new Uint8Array(buffer);
  if (b.length < 9 || b[4] !== 0x7c || b[5] !== 0x30 + DATA || b[6] !== 0x7c) return null;
  let len = 0;
  for (let i = 0; i < 4; i++) {
    if (b[i] < 0x30 || b[i] > 0x39) return null;
    len = len * 10 + b[i] - 0x30;
  }
  const space = b.indexOf(0x20, 7);
  if (len !== b.length || space < 8 || space > 7 + 16) return null;
  const tag = String.fromCharCode(...b.subarray(7, space));
  if (!/^[A-Za-z0-9_-]+$/.test(tag)) return null;
  return { tag, bytes: b.subarray(space + 1) };
}

// parseFile(raw) - the notice "file ID TIME CONV FROM SHA256 SIZE TYPE NAME" (its whole
// body; NAME is the rest, spaces and " -- " kept) as {id, time, conv, from, sha256, size,
// type, name}, or null.
export function parseFile(raw) {
  const m = /^file (\d+) (\d+) (\S+) (\S+) ([0-9a-fA-F]{64}) (\d+) (\S+) ([\s\S]*)$/.exec(raw);
  if (!m) return null;
  return { id: Number(m[1]), time: Number(m[2]), conv: m[3], from: m[4],
    sha256: m[5].toLowerCase(), size: Number(m[6]), type: m[7].toLowerCase(), name: m[8] };
}
