// SPDX-License-Identifier: ISC
// Files in the pages (issue 19) in chromium against the real daemon: a customer attaches a
// PNG that the agent console shows as a thumbnail, the agent sends a PDF back that the
// customer saves (the bytes compared); a file over max_file_size is refused before any byte
// goes; a name with markup is text; bytes that claim to be an image but are not are never
// shown; a file in the log comes back after a reload.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { COMMAND, launchChromium, Scope, screenshot, until, whySkip } from './harness.mjs';
import { join, open, send, sysLines, waitMessage, waitOpen, waitServed } from './pages.mjs';

const skip = whySkip();
const DESKTOP = { width: 1280, height: 800 };
const KEY = 'Qm9vdHN0cmFwIGtleSBmb3IgZmlsZXMgdGVzdHMgb25seQ==';
// turns = free: the customer may write twice before the agent answers.
const FREE = 'turns = free\n';
const DESK = `${FREE}agent_key_file = {dir}/agent.key\n`;
const KEYS = { 'agent.key': `${KEY}\n` };

let browser;
before(async () => { if (!skip) browser = await launchChromium(); });
after(async () => { if (browser) await browser.close(); });

/** A PNG of @w x @h noisy pixels (noise, so that it is larger than one chunk). */
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = [];
  for (let y = 0; y < h; y++) rows.push(Buffer.from([0]), crypto.randomBytes(w * 3));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** A small PDF-looking file with binary bytes in it (every byte value, and not UTF-8). */
function pdf() {
  return Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
    Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7 + 3) & 0xff)), Buffer.from('\n%%EOF\n')]);
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** A type 6 frame: "LLLL|6|TAG BYTES". */
function dataFrame(tag, bytes) {
  const body = Buffer.concat([Buffer.from(`${tag} `), bytes]);
  return Buffer.concat([Buffer.from(`${String(body.length + 7).padStart(4, '0')}|6|`), body]);
}

/** Upload @bytes as @name (@type) from the framed peer @p (granted "files") to @to. */
async function upload(p, tag, name, type, bytes, to = '*') {
  p.send(COMMAND, `file-offer ${tag} ${bytes.length} ${sha256(bytes)} ${type} ${to} ${name}`);
  await p.notice(`file-go ${tag}`);
  for (let at = 0; at < bytes.length; at += 4096) p.sock.write(dataFrame(tag, bytes.subarray(at, at + 4096)));
  p.send(COMMAND, `file-end ${tag}`);
  await p.notice(`file-done ${tag} ${sha256(bytes)}`);
}

/** Attach @buffer as @name (@mimeType) on @page with its Attach button's file input. */
async function attach(page, name, mimeType, buffer) {
  await page.waitForSelector('#attach', { state: 'visible' });
  await page.setInputFiles('#attach-input', { name, mimeType, buffer });
}

/** The file entries in #log: {from, mine, name (the save button's text), thumb (src)}. */
/* A daemon with @cfg, the agent anna (a plain peer granted files: it waits for @files), and
 * bob on the customer page, served by her. */
async function servedBob(s, cfg, files) {
  const d = await s.daemon(cfg);
  const agent = await s.agent(d, 'anna');
  agent.command('caps files');
  await agent.notice(files, { prefix: true });
  const bob = await s.page(DESKTOP);
  await open(bob, d, '/');
  await join(bob, 'bob');
  await waitServed(bob, 'anna');
  await agent.notice('customer bob', { prefix: true });
  return { d, agent, bob };
}

function fileEntries(page) {
  return page.$$eval('#log .msg.has-file', (els) => els.map((e) => ({
    from: e.querySelector('.from')?.textContent ?? null,
    mine: e.classList.contains('mine'),
    save: e.querySelector('.file-save')?.textContent ?? null,
    thumb: e.querySelector('img.thumb')?.getAttribute('src') ?? null,
    problem: e.querySelector('.file-problem')?.textContent ?? null,
  })));
}

/** Wait for a thumbnail in @page's #log that the browser decoded (@w x @h). */
function waitThumb(page, w, h) {
  return until(() => page.$$eval('#log img.thumb', (imgs, [w, h]) => imgs.some((i) =>
    i.src.startsWith('blob:') && i.complete && i.naturalWidth === w && i.naturalHeight === h), [w, h]),
  `a ${w}x${h} thumbnail in #log`);
}

/** Click @page's save button for @name; the download's bytes and suggested name. */
async function save(page, name) {
  const button = page.locator('#log .file-save', { hasText: name }).last();
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: download.suggestedFilename(), bytes: fs.readFileSync(await download.path()) };
}

test('a customer attaches a PNG, the console shows it; the agent sends a PDF back, saved', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon(DESK, KEYS);
    const agent = await s.page(DESKTOP);
    await open(agent, d, '/agent');
    await agent.fill('#name', 'anna');
    await agent.fill('#key', KEY);
    await agent.click('#join');
    await agent.waitForSelector('#desk', { state: 'visible' });
    const bob = await s.page(DESKTOP);
    await open(bob, d, '/');
    await join(bob, 'bob');
    await waitServed(bob, 'anna');
    await agent.waitForSelector('#tabs .tab[data-name="bob"]');

    // The customer's PNG: several chunks; the console shows its thumbnail, decoded.
    const shot = png(64, 48);
    assert.ok(shot.length > 8192, 'the PNG takes more than one chunk');
    // By the keyboard: the Attach button, reached by focus, opens the file chooser.
    await bob.waitForSelector('#attach', { state: 'visible' });
    // Focus, then Enter: on a loaded machine Chromium now and then drops the first keyboard
    // activation's chooser (seen 1 run in 3 under load, never alone), so it is asked again.
    let chooser = null;
    for (let i = 0; !chooser && i < 4; i++) {
      await bob.focus('#attach');
      assert.equal(await bob.evaluate(() => document.activeElement.id), 'attach');
      [chooser] = await Promise.all([
        bob.waitForEvent('filechooser', { timeout: 8000 }).catch(() => null),
        bob.keyboard.press('Enter'),
      ]);
    }
    assert.ok(chooser, 'Enter on the focused Attach button opens the file chooser');
    await chooser.setFiles({ name: 'screen shot.png', mimeType: 'image/png', buffer: shot });
    await waitThumb(agent, 64, 48);
    await screenshot(agent, 'agent-file');
    await until(async () => (await fileEntries(bob)).some((f) => f.mine && f.save.startsWith('screen shot.png')),
      'the customer\'s own file in its log');
    assert.equal(await bob.locator('#log .upload').count(), 0, 'the progress line is gone');
    const [got] = await fileEntries(agent);
    assert.equal(got.from, 'bob');
    assert.match(got.save, /^screen shot\.png \(\d+ KB\)$/);
    // The thumbnail's bytes are the customer's, and saving them gives the same bytes.
    const saved = await save(agent, 'screen shot.png');
    assert.equal(saved.name, 'screen shot.png');
    assert.equal(sha256(saved.bytes), sha256(shot));

    // Chat goes on, and the agent's PDF comes back; the customer saves it.
    await send(bob, 'That is the error I get.');
    await waitMessage(agent, 'That is the error I get.', { from: 'bob' });
    const invoice = pdf();
    await attach(agent, 'invoice.pdf', 'application/pdf', invoice);
    await until(async () => (await fileEntries(bob)).some((f) => !f.mine && f.save?.startsWith('invoice.pdf')),
      'the invoice in the customer\'s log');
    await screenshot(bob, 'customer-file');
    const back = await save(bob, 'invoice.pdf');
    assert.equal(back.name, 'invoice.pdf');
    assert.ok(back.bytes.equals(invoice), 'the saved invoice is the bytes the agent attached');
    const entries = await fileEntries(bob);
    assert.equal(entries.find((f) => f.save.startsWith('invoice.pdf')).thumb, null, 'a PDF has no thumbnail');

    // A reload keeps the files in the log, fetched again: the thumbnail too.
    await agent.reload();
    await bob.reload();
    await waitOpen(bob);
    await until(async () => (await fileEntries(bob)).length === 2, 'both files after the customer\'s reload');
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a file over max_file_size is refused on the page, before any byte goes', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const { d, agent, bob } = await servedBob(s, `${FREE}max_file_size = 1048576\n`, 'files 1048576');
    await attach(bob, 'video.mp4', 'video/mp4', Buffer.alloc(1572864, 1));
    await until(async () => (await sysLines(bob)).includes('video.mp4 is too large: 1.5 MB, the limit is 1 MB'),
      'the line that says the file is too large');
    assert.equal(await bob.locator('#log .upload').count(), 0);
    // Nothing was offered: the next thing the agent hears from bob is his message.
    await send(bob, 'Too big, sorry.');
    const before = await agent.waitFor((f) => f.type === 2, 'bob\'s message');
    assert.equal(before.body, 'Too big, sorry.');
    assert.ok(!agent.seen.some((f) => /^3\|file /.test(f)), 'no file reached the agent');
    assert.ok(!/file-offer/.test(d.log()), 'no offer in the daemon log');
  }));

test('a file\'s name is text, and bytes that are not the image they claim are never shown', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const { d, agent, bob } = await servedBob(s, FREE, 'files');

    const name = '<img src=x onerror=alert(1)><b>bold & &amp;.txt'; // no '/': the daemon keeps what follows the last
    await upload(agent, 't1', name, 'text/plain', Buffer.from('just text\n'));
    // An HTML document that says it is a PNG: a save button, no <img>, nothing rendered.
    const html = Buffer.from('<html><body><script>alert(1)</script></body></html>');
    await upload(agent, 't2', 'fake.png', 'image/png', html);
    await until(async () => (await fileEntries(bob)).length === 2, 'both files in the log');
    const [first, second] = await fileEntries(bob);
    assert.equal(first.save, `${name} (10 bytes)`);
    await until(async () => (await fileEntries(bob))[1].thumb === null, 'the fake image dropped');
    assert.equal(second.save, `fake.png (${html.length} bytes)`);
    assert.equal(await bob.locator('#log b, #log img:not(.thumb), #log script').count(), 0);
    const saved = await save(bob, 'fake.png');
    assert.ok(saved.bytes.equals(html));

    // A file whose bytes changed in the daemon's directory (a disk's fault): the page checks
    // the SHA-256, says so, and saves nothing.
    const report = Buffer.from('quarterly figures\n');
    await upload(agent, 't3', 'report.txt', 'text/plain', report);
    await until(async () => (await fileEntries(bob)).length === 3, 'the report in the log');
    const dir = /files: (\S+) \(/.exec(d.log())[1];
    const kept = path.join(dir, sha256(report).slice(0, 2), sha256(report));
    fs.writeFileSync(kept, Buffer.from('quarterly figureZ\n'));
    let downloads = 0;
    bob.on('download', () => downloads++);
    await bob.locator('#log .file-save', { hasText: 'report.txt' }).click();
    await until(async () => (await fileEntries(bob))[2].problem === 'report.txt did not arrive intact (its SHA-256 does not match): not shown',
      'the line that says the report did not arrive intact');
    assert.equal(downloads, 0, 'nothing saved');
    assert.deepEqual(s.pageErrors, []);
  }));

test('chat goes out while a large file is on its way, and the file arrives whole', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const { d, agent, bob } = await servedBob(s, `${FREE}max_file_size = 33554432\n`, 'files');
    const big = crypto.randomBytes(24 * 1024 * 1024);
    await attach(bob, 'backup.bin', 'application/octet-stream', big);
    // Once bytes are going out, a message: the agent has it before the file is done.
    await until(() => bob.$eval('#log .upload progress', (p) => p.hasAttribute('value') && p.value > 0), 'the upload under way');
    await send(bob, 'Sending you the backup now.');
    const first = await agent.waitFor((f) => f.type === 2 || (f.type === 3 && f.body.startsWith('file ')), 'the message or the file');
    assert.equal(first.body, 'Sending you the backup now.', 'the message came before the file');
    const file = await agent.notice('file', { prefix: true, timeout: 60000 });
    const words = file.body.split(' ');
    assert.deepEqual(words.slice(5, 8), [sha256(big), String(big.length), 'application/octet-stream']);
    assert.equal(words.slice(8).join(' '), 'backup.bin');
    await until(async () => (await fileEntries(bob)).some((f) => f.mine && f.save.startsWith('backup.bin (24 MB)')), 'bob\'s file drawn');
    assert.equal(await bob.locator('#log .upload').count(), 0);
  }));

test('in a room a PNG reaches every page, its sender\'s once, and a member who joins later sees it in history', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\nhistory_on_join = 20\n');
    const pages = [];
    for (const name of ['ann', 'ben']) {
      const page = await s.page(DESKTOP);
      await open(page, d, '/room');
      await join(page, name);
      await waitOpen(page);
      await page.waitForSelector('#attach', { state: 'visible' });
      pages.push(page);
    }
    const [ann, ben] = pages;
    const shot = png(40, 30);
    await attach(ann, 'diagram.png', 'image/png', shot);
    await waitThumb(ben, 40, 30);
    await waitThumb(ann, 40, 30);
    await send(ann, 'that is the diagram');
    await waitMessage(ben, 'that is the diagram', { from: 'ann' });
    assert.deepEqual((await fileEntries(ann)).map((f) => [f.from, f.mine]), [['ann', true]], 'drawn once, from the echo');
    assert.deepEqual((await fileEntries(ben)).map((f) => [f.from, f.mine]), [['ann', false]]);

    const cid = await s.page(DESKTOP);
    await open(cid, d, '/room');
    await join(cid, 'cid');
    await waitThumb(cid, 40, 30);
    const saved = await save(cid, 'diagram.png');
    assert.ok(saved.bytes.equals(shot));
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));
