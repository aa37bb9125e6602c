// SPDX-License-Identifier: ISC
// store.js - the pages' sessionStorage, or memory where the browser refuses it. A page framed
// by another site may find third-party storage blocked: then merely reading `sessionStorage`
// throws a SecurityError, and a page that touched it at start would be dead. Here every access
// is guarded and falls back to a Map: the page works as before, except that what it kept does
// not survive a reload (README: Embedding the customer page).

const memory = new Map();
let backing; // sessionStorage once it is known to work, null once it is known not to

function storage() {
  if (backing !== undefined) return backing;
  try {
    const s = window.sessionStorage;
    const probe = "frontdesk.probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
    backing = s;
  } catch {
    backing = null;
  }
  return backing;
}

// A write can still fail (the quota): memory keeps it then, and a read looks there first.
export const store = {
  get(key) {
    if (memory.has(key)) return memory.get(key);
    try {
      return storage()?.getItem(key) ?? null;
    } catch {
      return null;
    }
  },
  set(key, value) {
    const text = String(value);
    try {
      if (storage()) {
        storage().setItem(key, text);
        memory.delete(key);
        return;
      }
    } catch {
      // below
    }
    memory.set(key, text);
  },
  remove(key) {
    memory.delete(key);
    try {
      storage()?.removeItem(key);
    } catch {
      // nothing kept there, then
    }
  },
  // The keys that start with @prefix.
  keys(prefix) {
    const found = new Set([...memory.keys()].filter((k) => k.startsWith(prefix)));
    try {
      const s = storage();
      for (let i = 0; s && i < s.length; i++) {
        const k = s.key(i);
        if (k && k.startsWith(prefix)) found.add(k);
      }
    } catch {
      // the memory's, then
    }
    return [...found];
  },
  // Whether what is kept survives a reload (false: memory only).
  get lasting() {
    return storage() !== null;
  },
};
