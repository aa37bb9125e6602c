// SPDX-License-Identifier: ISC
// A page in chromium speaks the framed protocol over web_listen's /ws by hand (no page of the
// project's): the WebSocket listener as a real browser uses it, needing nothing but the daemon.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchChromium, NOTICE, Scope, until, whySkip } from './harness.mjs';

const skip = whySkip();
let browser;
before(async () => { if (!skip) browser = await launchChromium(); });
after(async () => { if (browser) await browser.close(); });

// In the page: a WebSocket on /ws whose text messages are frames, both ways.
function openSocket(name) {
  const encoder = new TextEncoder();
  const frame = (type, body) => {
    const length = encoder.encode(body).length + 7;
    return `${String(length).padStart(4, '0')}|${type}|${body}`;
  };
  window.fd = { frames: [], state: 'connecting' };
  const ws = new WebSocket(`ws://${location.host}/ws`);
  window.fd.send = (type, body) => ws.send(frame(type, body));
  ws.onopen = () => {
    window.fd.state = 'open';
    window.fd.send(1, name);
    window.fd.send(4, 'hello notices');
  };
  ws.onmessage = (e) => window.fd.frames.push({ type: Number(e.data[5]), body: e.data.slice(7) });
  ws.onclose = (e) => { window.fd.state = `closed ${e.code}`; };
}

const pageFrames = (page) => page.evaluate(() => window.fd.frames);

test('a page\'s WebSocket joins the desk and chats with a TCP agent', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    await agent.notice('welcome single-agent anna');
    const page = await s.page();
    // Any page of the daemon's own origin will do (this one is a 404): web_origins' default,
    // `same`, lets it open /ws.
    await page.goto(`${d.base}/browser-smoke`);
    await page.evaluate(openSocket, 'bob');
    await until(async () => (await pageFrames(page)).some((f) => f.type === NOTICE && f.body.startsWith('serving anna')),
      'the page to be served by anna');
    await agent.notice('customer bob', { prefix: true });

    await page.evaluate(() => window.fd.send(2, 'hello from chromium, ünïcode ✓'));
    assert.equal(await agent.message(), 'hello from chromium, ünïcode ✓');
    agent.say('hi bob, this is anna');
    await until(async () => (await pageFrames(page)).some((f) => f.type === 2 && f.body === 'hi bob, this is anna'),
      'the agent\'s message in the page');

    await page.evaluate(() => window.fd.send(4, 'quit'));
    await agent.notice('customer-left bob', { prefix: true });
    await until(async () => (await page.evaluate(() => window.fd.state)).startsWith('closed'), 'the WebSocket to close');
  }));
