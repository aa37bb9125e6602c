// SPDX-License-Identifier: ISC
// The browser tests' fixture: the real frontdeskd on loopback ports the kernel picks, with a
// config of the test's own in a temp dir; framed and line peers on real sockets; Debian's
// chromium driven by playwright-core (never a browser of Playwright's own download).
//
// Nothing here sleeps to let things happen: every wait is for an event or a condition polled
// until a generous deadline. Every process a test starts is registered with its Scope and
// stopped by Scope.close(), which the tests call in `finally`, so a failure leaves nothing
// running; an exit handler kills whatever a crash of the runner itself left behind.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceRoot = process.env.FRONTDESK_SOURCE_ROOT || path.resolve(here, '../..');
export const FRONTDESKD = process.env.FRONTDESKD || path.join(sourceRoot, 'build/src/frontdeskd');
export const CHROMIUM = process.env.FRONTDESK_CHROMIUM || '/usr/bin/chromium';
export const DEADLINE = 1000 * Number(process.env.FRONTDESK_TEST_DEADLINE || 20);
export const NICKNAME = 1, MESSAGE = 2, NOTICE = 3, COMMAND = 4;

// Without the background-networking flags Chromium tries to reach Google's services at start,
// which this kind of machine refuses; the tests need only loopback.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const running = new Set(); // daemons' child processes, for the exit handler
const tempDirs = new Set(); // their directories, likewise

process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* gone already */ }
  }
  // (retried: a daemon killed a moment ago may still be writing its store there)
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});
// meson's timeout (or Ctrl-C) ends the runner with a signal: exit, so that the handler above
// (and Playwright's, which closes chromium) still runs.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));

/** Why the browser tests cannot run here (a sentence), or false when they can: a test's skip. */
export function whySkip() {
  if (process.env.FRONTDESK_VALGRIND === '1') {
    return 'browser tests run in the plain build only (FRONTDESK_VALGRIND=1)';
  }
  if (!fs.existsSync(CHROMIUM)) {
    return `no ${CHROMIUM}: apt-get install chromium (./contrib/test.sh does)`;
  }
  if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    return 'no tests/browser/node_modules: npm ci --prefix tests/browser (./contrib/test.sh does)';
  }
  if (!fs.existsSync(FRONTDESKD)) return `no daemon at ${FRONTDESKD}`;
  return false;
}

/** Poll @fn (sync or async) until it returns something truthy; return that. */
export async function until(fn, what, timeout = DEADLINE) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One frame: 4-digit total length in bytes, '|', type digit, '|', the UTF-8 body. */
export function frame(type, body) {
  const data = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`${String(data.length + 7).padStart(4, '0')}|${type}|`), data]);
}

/** Reads a stream into items (frames or lines) that tests wait for in order. */
class Reader {
  constructor(sock, name) {
    this.sock = sock;
    this.name = name;
    this.buf = Buffer.alloc(0);
    this.items = []; // not yet taken by a wait
    this.seen = []; // everything received, for failure messages
    this.closed = false;
    this.wake = null;
    sock.on('data', (data) => {
      this.buf = Buffer.concat([this.buf, data]);
      this.parse();
      this.notify();
    });
    sock.on('close', () => { this.closed = true; this.notify(); });
    sock.on('error', () => { this.closed = true; this.notify(); });
  }

  notify() {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  /** Take items until one matches @pred; return it (the ones before it are dropped). */
  async waitFor(pred, what, timeout = DEADLINE) {
    const deadline = Date.now() + timeout;
    for (;;) {
      while (this.items.length) {
        const item = this.items.shift();
        if (pred(item)) return item;
      }
      if (this.closed) throw new Error(`${this.name}: connection closed before ${what}; got ${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${what} within ${timeout} ms; got ${this.tail()}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  tail() {
    return JSON.stringify(this.seen.slice(-12));
  }

  close() {
    this.sock.destroy();
  }
}

/** A framed-protocol peer (customer, member or agent): frames come as {type, body}. */
export class FramePeer extends Reader {
  parse() {
    while (this.buf.length >= 7) {
      const length = Number(this.buf.subarray(0, 4).toString());
      if (this.buf.length < length) return;
      const f = { type: this.buf[5] - 48, body: this.buf.subarray(7, length).toString('utf8') };
      this.buf = this.buf.subarray(length);
      this.items.push(f);
      this.seen.push(`${f.type}|${f.body}`);
    }
  }

  send(type, body) { this.sock.write(frame(type, body)); }
  say(text) { this.send(MESSAGE, text); }
  command(text) { this.send(COMMAND, text); }

  /** Send the nickname (and `hello notices`): the start of every framed handshake. */
  join(name, notices = true) {
    this.send(NICKNAME, name);
    if (notices) this.command('hello notices');
  }

  /** The next notice whose body equals @body, or starts with @body + ' ' when prefix. */
  notice(body, { prefix = false, timeout } = {}) {
    return this.waitFor((f) => f.type === NOTICE && (f.body === body || (prefix && f.body.startsWith(`${body} `))),
      `notice ${JSON.stringify(body)}`, timeout);
  }

  /** The next chat message's text (type 2), skipping notices. */
  async message(timeout) {
    return (await this.waitFor((f) => f.type === MESSAGE, 'a message', timeout)).body;
  }
}

/** A line-protocol peer, as `nc` is: lines without their newline. */
export class LinePeer extends Reader {
  parse() {
    let at;
    while ((at = this.buf.indexOf(10)) >= 0) {
      const line = this.buf.subarray(0, at).toString('utf8').replace(/\r$/, '');
      this.buf = this.buf.subarray(at + 1);
      this.items.push(line);
      this.seen.push(line);
    }
  }

  send(line) { this.sock.write(`${line}\n`); }

  line(want, timeout) {
    const pred = typeof want === 'function' ? want : (l) => l === want;
    return this.waitFor(pred, `line ${typeof want === 'function' ? '(matching)' : JSON.stringify(want)}`, timeout);
  }
}

function connect(options, Kind, name) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(options);
    sock.once('connect', () => resolve(new Kind(sock, name)));
    sock.once('error', reject);
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago: for a daemon that must come back on
 *  the same web port after a restart (a page reconnects to the host it came from). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP proxy on 127.0.0.1 to @port (a daemon's web port), whose network can go silent:
 *  stall() makes every connection it carries a black hole both ways (nothing forwarded,
 *  nothing closed: a Wi-Fi switch, a NAT that forgot the flow), and holds new ones unanswered;
 *  flow() lets the held ones and later ones through (the stalled ones stay dead). Its `base`
 *  is the URL to load pages from. Made by Scope.proxy(). */
export class SilentProxy {
  constructor(port) {
    this.port = port;
    this.stalled = false;
    this.sockets = new Set();
    this.pairs = [];
    this.held = [];
    this.server = net.createServer((client) => this.onConnection(client));
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.base = `http://127.0.0.1:${this.server.address().port}`;
        resolve(this);
      });
    });
  }

  track(sock) {
    this.sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => this.sockets.delete(sock));
  }

  onConnection(client) {
    this.track(client);
    if (this.stalled) {
      client.pause(); // what it sends waits in the kernel until flow()
      this.held.push(client);
    } else {
      this.forward(client);
    }
  }

  forward(client) {
    const upstream = net.createConnection({ host: '127.0.0.1', port: this.port });
    this.track(upstream);
    const pair = { dead: false };
    this.pairs.push(pair);
    client.on('data', (data) => { if (!pair.dead) upstream.write(data); });
    upstream.on('data', (data) => { if (!pair.dead) client.write(data); });
    client.on('close', () => { if (!pair.dead) upstream.destroy(); });
    upstream.on('close', () => { if (!pair.dead) client.destroy(); });
    client.resume();
  }

  stall() {
    this.stalled = true;
    for (const pair of this.pairs) pair.dead = true;
  }

  flow() {
    this.stalled = false;
    for (const client of this.held.splice(0)) this.forward(client);
  }

  close() {
    for (const sock of this.sockets) sock.destroy();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** Thrown to skip a test from inside it (Scope.run turns it into t.skip()). */
export class Skip extends Error {}

/** One frontdeskd with its own config and temp dir; made by Scope.daemon(). */
export class Daemon {
  constructor(dir, config) {
    this.dir = dir;
    this.agentSocket = path.join(dir, 'agent.sock');
    this.configPath = path.join(dir, 'frontdesk.conf');
    this.logPath = path.join(dir, 'daemon.log');
    let text = config;
    const has = (key) => new RegExp(`^\\s*${key}\\s*=`, 'm').test(text);
    if (!has('listen')) text += '\nlisten = 127.0.0.1:0\n';
    if (!has('web_listen')) text += 'web_listen = 127.0.0.1:0\n';
    if (!has('agent_socket')) text += `agent_socket = ${this.agentSocket}\n`;
    if (/^\s*mode\s*=\s*group/m.test(text) && !has('line_listen')) text += 'line_listen = 127.0.0.1:0\n';
    if (!has('store')) text += `store = sqlite:${path.join(dir, 'frontdesk.db')}\n`;
    fs.writeFileSync(this.configPath, text);
  }

  log() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /** Start it and wait for its "ready" line; learn its ports from the "listening" lines. */
  async start() {
    const out = fs.openSync(this.logPath, 'w');
    this.proc = spawn(FRONTDESKD, ['-c', this.configPath, '-v'], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    running.add(this.proc);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
      running.delete(this.proc);
      resolve(code ?? signal);
    }));
    const text = await until(() => {
      if (this.proc.exitCode !== null) throw new Error(`frontdeskd exited with ${this.proc.exitCode}:\n${this.log()}`);
      const t = this.log();
      return t.includes('frontdeskd ready') && t;
    }, 'frontdeskd ready').catch((e) => { throw new Error(`${e.message}\n${this.log()}`); });
    const port = (re) => { const m = text.match(re); return m ? Number(m[1]) : null; };
    this.port = port(/listening on \S+:(\d+) \(framed/);
    this.linePort = port(/listening on \S+:(\d+) \(line/);
    this.webPort = port(/web on 127\.0\.0\.1:(\d+) /);
    this.base = `http://127.0.0.1:${this.webPort}`;
    // The plain build only: under AddressSanitizer or valgrind the browser's deadlines would
    // measure the memory tool (meson does not register these tests for sanitized builds).
    const maps = fs.readFileSync(`/proc/${this.proc.pid}/maps`, 'utf8');
    if (/libasan|vgpreload|valgrind/.test(maps)) throw new Skip('the daemon runs under a memory tool: plain build only');
    return this;
  }

  agent(name) { return this.framed({ path: this.agentSocket }, name); }
  customer(name) { return this.framed({ host: '127.0.0.1', port: this.port }, name); }

  async framed(where, name) {
    const p = await connect(where, FramePeer, name);
    if (name !== undefined) p.join(name);
    return p;
  }

  line(name = 'line') { return connect({ host: '127.0.0.1', port: this.linePort }, LinePeer, name); }

  /** SIGTERM, wait (SIGKILL past the deadline); the exit code. */
  async stop() {
    if (!this.proc) return null;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), DEADLINE);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}

/** The PNG's path: the build tree's screenshots/ under meson, else a temp dir. */
export function screenshotDir() {
  const root = process.env.FRONTDESK_BUILD_ROOT || process.env.MESON_BUILD_ROOT;
  const dir = root ? path.join(root, 'screenshots') : path.join(os.tmpdir(), 'frontdesk-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(page, name) {
  const file = path.join(screenshotDir(), name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** What one test started: daemons, peers, browser contexts; close() stops them all. */
export class Scope {
  constructor(browser) {
    this.browser = browser;
    this.daemons = [];
    this.peers = [];
    this.contexts = [];
    this.servers = [];
    this.proxies = [];
    this.pageErrors = []; // uncaught exceptions in the pages, and console errors
    this.failed = false;
  }

  /** A daemon with @config; @files ({NAME: text}) are written to its temp dir first (mode
   *  0600, as key files must be), and `{dir}` in @config is that dir. */
  async daemon(config = '', files = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontdesk-browser-'));
    tempDirs.add(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    const d = new Daemon(dir, config.replaceAll('{dir}', dir));
    this.daemons.push(d);
    return d.start();
  }

  track(peer) { this.peers.push(peer); return peer; }

  /** A SilentProxy to @port (stopped by close()). */
  async proxy(port) {
    const p = new SilentProxy(port);
    this.proxies.push(p);
    return p.listen();
  }

  /** An HTTP server on @host (a loopback address) answering every GET with @html() (known
   *  only later, maybe): another site, say one that frames a page of the daemon's. Its
   *  origin, "http://HOST:PORT". */
  async site(host, html) {
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' });
      res.end(html());
    });
    this.servers.push(srv);
    await new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, host, resolve);
    });
    return `http://${host}:${srv.address().port}`;
  }

  async agent(d, name) { return this.track(await d.agent(name)); }
  async customer(d, name) { return this.track(await d.customer(name)); }
  async line(d, name) { return this.track(await d.line(name)); }

  /** A page in a browser context of its own (its own sessionStorage), with @viewport. */
  async page(viewport = { width: 1280, height: 800 }, options = {}) {
    const context = await this.browser.newContext({ viewport, ...options });
    this.contexts.push(context);
    context.setDefaultTimeout(DEADLINE);
    const page = await context.newPage();
    page.on('pageerror', (e) => this.pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') this.pageErrors.push(`console: ${m.text()}`); });
    return page;
  }

  /** Run @body(scope) as test @t; stop everything after it, and on failure show the daemons' logs. */
  static async run(t, browser, body) {
    const scope = new Scope(browser);
    try {
      await body(scope);
    } catch (e) {
      if (e instanceof Skip) {
        console.log(`# skipped: ${e.message}`);
        t.skip(e.message);
        return;
      }
      scope.failed = true;
      for (const d of scope.daemons) console.log(`---- daemon log (${d.dir}) ----\n${d.log().slice(-6000)}`);
      if (scope.pageErrors.length) console.log(`---- page errors ----\n${scope.pageErrors.join('\n')}`);
      throw e;
    } finally {
      await scope.close();
    }
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    for (const p of this.peers) p.close();
    for (const p of this.proxies) await p.close();
    for (const srv of this.servers) {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    }
    const codes = [];
    for (const d of this.daemons) {
      codes.push(await d.stop());
      fs.rmSync(d.dir, { recursive: true, force: true });
      tempDirs.delete(d.dir);
    }
    // A clean stop is part of every test, as in the Python fixture.
    if (!this.failed && codes.some((c) => c !== 0)) throw new Error(`frontdeskd exited with ${codes.join(', ')} after SIGTERM`);
  }
}
