// SPDX-License-Identifier: ISC
// The customer page `/` in chromium against the real daemon, with an agent on the agent socket
// speaking frames (the agent console `/agent` is console.test.mjs's).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, launchChromium, Scope, screenshot, until, whySkip } from './harness.mjs';
import { checkPageRules, connState, countMessages, customerPage, join, messages, notInView, open, send, sysLines, sysMatching,
  waitMessage, waitOpen, waitPosition, waitServed } from './pages.mjs';

const skip = whySkip();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SMALL_PHONE = { width: 375, height: 667 };
const FULL = 'The line is full right now. Please try again in a few minutes.';
const NO_AGENT = 'No agent is here right now; write your question and it will be read first.';
// Blocked third-party storage, as Chromium has it with third-party cookies blocked: merely
// reading window.sessionStorage throws.
const BLOCK_STORAGE = () => Object.defineProperty(window, 'sessionStorage', {
  configurable: true,
  get() { throw new DOMException('The document is sandboxed and lacks the allow-same-origin flag.', 'SecurityError'); },
});
let browser;
before(async () => { if (!skip) browser = await launchChromium(); });
after(async () => { if (browser) await browser.close(); });

test('a customer page on a phone and an agent chat', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    await agent.notice('welcome single-agent anna');
    const page = await s.page(PHONE, { deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    assert.deepEqual(await checkPageRules(page, await open(page, d, '/')), []);
    assert.equal(await page.getAttribute('#typing', 'hidden'), '', '#typing is hidden while nobody types');
    await join(page, 'bob');
    await waitServed(page, 'anna');
    await waitOpen(page);
    await agent.notice('customer bob', { prefix: true });

    await send(page, 'Hello! My order #1042 has not arrived.');
    assert.equal(await agent.message(), 'Hello! My order #1042 has not arrived.');
    await waitMessage(page, 'Hello! My order #1042 has not arrived.', { mine: true, from: 'bob' });
    agent.say('Sorry to hear that, Bob. Let me look it up.');
    await waitMessage(page, 'Sorry to hear that, Bob. Let me look it up.', { mine: false, from: 'anna' });

    // Shift+Enter is a new line in the message; Enter sends it.
    await page.fill('#text', '');
    await page.type('#text', 'It was due on Monday.');
    await page.keyboard.press('Shift+Enter');
    await page.type('#text', 'Tracking says "label created".');
    await page.keyboard.press('Enter');
    assert.equal(await agent.message(), 'It was due on Monday.\nTracking says "label created".');
    await until(async () => (await page.inputValue('#text')) === '', 'the composer to be emptied');

    // What the agent says is text, never markup.
    const markup = 'It is on its way: <b>today</b> & <img src=x onerror=alert(1)>';
    agent.say(markup);
    await waitMessage(page, markup, { mine: false });
    assert.equal(await page.locator('#log .msg b, #log .msg img').count(), 0);

    const all = await messages(page);
    assert.deepEqual(all.map((m) => m.mine), [true, false, true, false]);
    assert.ok(all.every((m) => m.mine !== m.theirs), 'each message is mine or theirs');
    await screenshot(page, 'customer-phone');
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a second customer page\'s position falls from 2 to 1, then it is served', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    // The agent serves a TCP customer; two customer pages wait behind it.
    const agent = await s.agent(d, 'anna');
    await s.customer(d, 'bob');
    await agent.notice('customer bob', { prefix: true });
    const first = await customerPage(s, d, 'carol', { viewport: DESKTOP });
    await waitPosition(first, 1);
    const second = await customerPage(s, d, 'dave', { viewport: PHONE, options: { deviceScaleFactor: 2, isMobile: true, hasTouch: true } });
    await waitPosition(second, 2);
    assert.match(await second.textContent('#wait'), /number 2 in line/);
    await screenshot(second, 'customer-waiting-phone');

    // bob's conversation ends: the first page is served, the second moves up.
    agent.command('next');
    await agent.notice('customer carol', { prefix: true });
    await waitServed(first, 'anna');
    await waitPosition(second, 1);
    assert.match(await second.textContent('#wait'), /number 1 in line/);
    await send(first, 'Hi, a quick question.');
    assert.equal(await agent.message(), 'Hi, a quick question.');
    agent.say('Sure, go ahead.');
    await waitMessage(first, 'Sure, go ahead.', { mine: false });

    // carol's ends too: the second page is served.
    agent.command('next');
    await agent.notice('customer dave', { prefix: true });
    await waitServed(second, 'anna');
    await send(second, 'Thanks for waiting with me.');
    assert.equal(await agent.message(), 'Thanks for waiting with me.');
    agent.say('You are welcome, Dave.');
    await waitMessage(second, 'You are welcome, Dave.', { mine: false, from: 'anna' });
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a network gone silent is noticed by the page, which resumes; what was typed meanwhile arrives once', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    const proxy = await s.proxy(d.webPort);
    const page = await s.page(DESKTOP);
    await page.goto(`${proxy.base}/`);
    await join(page, 'wes');
    await waitServed(page, 'anna');
    await agent.notice('customer wes', { prefix: true });
    await until(() => page.evaluate(() => sessionStorage.getItem('frontdesk.customer.session')), 'the session token');
    await send(page, 'Before the tunnel.');
    assert.equal(await agent.message(), 'Before the tunnel.');
    agent.say('Go on.'); // strict turns: the customer's turn again
    await waitMessage(page, 'Go on.', { mine: false, from: 'anna' });
    await until(async () => (await page.locator('#log .msg.pending').count()) === 0, 'the message confirmed');

    // The network goes silent: the WebSocket stays "open" to the browser, nothing passes.
    proxy.stall();
    const stalledAt = Date.now();
    await send(page, 'Typed in the tunnel.');
    await waitMessage(page, 'Typed in the tunnel.', { mine: true });
    assert.equal(await page.locator('#log .msg.pending').count(), 1, 'a message not yet confirmed is shown pending');
    // 25 s of silence, a ping, 10 s without an answer: the page says it is reconnecting.
    await until(async () => (await connState(page)) !== 'open', 'the page to notice the dead link', 45000);
    const noticed = Date.now() - stalledAt;
    assert.ok(noticed >= 20000, `noticed after ${noticed} ms: not before the 25 s of silence`);
    assert.ok(await sysMatching(page, /cannot be reached; trying again in \d+ s/), 'the page says it is reconnecting');

    proxy.flow();
    await until(async () => (await sysLines(page)).includes('Reconnected'), 'the resume', 45000);
    await waitOpen(page);
    assert.equal(await agent.message(), 'Typed in the tunnel.');
    await until(async () => (await page.locator('#log .msg.pending').count()) === 0, 'the message confirmed');
    agent.say('Welcome back, Wes.');
    await waitMessage(page, 'Welcome back, Wes.', { mine: false, from: 'anna' });
    await send(page, 'Out of the tunnel.');
    // The next message the agent gets is the new one: the stalled one came once.
    assert.equal(await agent.message(), 'Out of the tunnel.');
    await waitServed(page, 'anna');
    for (const text of ['Before the tunnel.', 'Typed in the tunnel.', 'Out of the tunnel.']) {
      assert.equal(await countMessages(page, text), 1, text);
    }
    assert.equal(await page.locator('#log .msg.unsent').count(), 0);
    // One conversation throughout: the agent was never told wes left, nor served him again.
    assert.deepEqual(agent.seen.filter((f) => /^3\|customer(-left)? wes\b/.test(f)).map((f) => f.split(' ')[0]), ['3|customer']);
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('reloading the customer page mid-conversation resumes it', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    const page = await customerPage(s, d, 'dora', { agent, viewport: DESKTOP });
    await send(page, 'Can I change my delivery address?');
    assert.equal(await agent.message(), 'Can I change my delivery address?');
    agent.say('Yes: which one should it be?');
    await waitMessage(page, 'Yes: which one should it be?', { mine: false });
    const stored = await page.evaluate(() => ['session', 'last', 'epoch'].map((k) => sessionStorage.getItem(`frontdesk.customer.${k}`)));
    assert.ok(stored.every((v) => v), `frontdesk.customer.{session,last,epoch} in sessionStorage: ${JSON.stringify(stored)}`);

    await page.reload();
    // Straight back to the chat with the same agent, without asking the name.
    await waitServed(page, 'anna');
    await waitOpen(page);
    await waitMessage(page, 'Can I change my delivery address?', { mine: true });
    await waitMessage(page, 'Yes: which one should it be?', { mine: false, from: 'anna' });

    await send(page, '12 Harbour Street, please.');
    assert.equal(await agent.message(), '12 Harbour Street, please.');
    agent.say('Done: 12 Harbour Street.');
    await waitMessage(page, 'Done: 12 Harbour Street.', { mine: false, from: 'anna' });
    // One conversation throughout: the agent was never told dora left, nor served her again.
    assert.deepEqual(agent.seen.filter((f) => /^3\|customer(-left)? dora\b/.test(f)).map((f) => f.split(' ')[0]), ['3|customer']);
    // The earlier messages are shown once, not once per load.
    for (const text of ['Can I change my delivery address?', 'Yes: which one should it be?',
      '12 Harbour Street, please.', 'Done: 12 Harbour Street.']) {
      assert.equal(await countMessages(page, text), 1, text);
    }
    assert.equal(await connState(page), 'open');
    await screenshot(page, 'customer-desktop');
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a reload after the agent ended the conversation asks the name again', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    const page = await customerPage(s, d, 'erin', { agent, viewport: DESKTOP });
    await send(page, 'That was all, thanks.');
    assert.equal(await agent.message(), 'That was all, thanks.');
    agent.command('next'); // ended on purpose: the session cannot be resumed (protocol 7.3)
    await agent.notice('customer-left erin', { prefix: true });
    await page.reload();
    // The token is void (the page forgets it at the end, or on `error resume-failed`): the form.
    await page.waitForSelector('form#join-form', { state: 'visible' });
    await until(async () => (await page.evaluate(() => sessionStorage.getItem('frontdesk.customer.session'))) === null,
      'the token cleared from sessionStorage');
    await join(page, 'erin');
    await waitServed(page, 'anna');
    await agent.notice('customer erin', { prefix: true });
    assert.equal(await countMessages(page, 'That was all, thanks.'), 0, 'a new conversation starts empty');
  }));

test('the typing indicator both ways between a customer page and its agent', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    await agent.notice('welcome single-agent anna');
    agent.command('caps typing');
    await agent.notice('caps typing');
    const page = await s.page(DESKTOP);
    await open(page, d, '/');
    await join(page, 'bob');
    await waitServed(page, 'anna');
    await waitOpen(page);
    await agent.notice('customer bob', { prefix: true });
    // The page asked for "typing" in its caps: keystrokes in the composer reach the agent.
    await page.type('#text', 'Where is my order?');
    await agent.notice('typing bob');
    await page.press('#text', 'Enter');
    assert.equal(await agent.message(), 'Where is my order?');
    // Her turn: she types, the page says so, and stops saying so when her message comes.
    agent.command('typing');
    await page.waitForSelector('#typing', { state: 'visible' });
    assert.equal((await page.textContent('#typing')).trim(), 'anna is typing…');
    agent.say('One moment, please.');
    await waitMessage(page, 'One moment, please.', { mine: false, from: 'anna' });
    await page.waitForSelector('#typing', { state: 'hidden' });
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a long conversation on a small phone keeps the header, the composer and the newest line in view', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    const page = await customerPage(s, d, 'bob', { agent, viewport: SMALL_PHONE, options: { isMobile: true, hasTouch: true } });
    for (let i = 1; i <= 15; i++) {
      await send(page, `question ${i}`);
      assert.equal(await agent.message(), `question ${i}`);
      agent.say(`answer ${i}: ${'and a few more words to wrap the line '.repeat(2)}`);
      await waitMessage(page, `answer ${i}: ${'and a few more words to wrap the line '.repeat(2)}`);
    }
    assert.deepEqual(await notInView(page, ['header.bar', '#chat', '#composer', '#send', '#log .msg']), []);
    await screenshot(page, 'customer-phone-long');
    // The Attach button leaves the empty composer too narrow for its placeholder: wrapped, its
    // second line would be cut by the one-row box, so it must stay on one line (an ellipsis).
    const composer = await page.$eval('#text', (t) => {
      const cs = getComputedStyle(t);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = cs.font;
      return { wide: ctx.measureText(t.placeholder).width,
        room: t.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
        wrap: getComputedStyle(t, '::placeholder').whiteSpace };
    });
    assert.ok(composer.wide <= composer.room || composer.wrap === 'nowrap',
      `the placeholder (${composer.wide} px) wraps in ${composer.room} px`);
  }));

test('the customer page framed by another site, its storage blocked, joins and chats', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    let base = '';
    const site = await s.site('127.0.0.2', () => '<!DOCTYPE html><html lang="en"><title>shop</title>' +
      `<iframe src="${base}/" title="Chat with us" width="380" height="600"></iframe></html>`);
    const d = await s.daemon(`web_embed_origins = ${site}\n`);
    base = d.base;
    const agent = await s.agent(d, 'anna');
    const shop = await s.page(DESKTOP);
    await shop.addInitScript(BLOCK_STORAGE);
    await shop.goto(`${site}/`);
    const frame = await until(() => shop.frames().find((f) => f.url().startsWith(d.base)), 'the chat in its frame');
    await join(frame, 'bob');
    await waitServed(frame, 'anna');
    await agent.notice('customer bob', { prefix: true });
    await send(frame, 'Hello from the shop');
    assert.equal(await agent.message(), 'Hello from the shop');
    agent.say('Welcome, Bob');
    await waitMessage(frame, 'Welcome, Bob', { mine: false, from: 'anna' });
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a customer page whose sessionStorage throws works, and only a reload forgets it', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    const page = await s.page(DESKTOP);
    await page.addInitScript(BLOCK_STORAGE);
    await open(page, d, '/');
    await join(page, 'bob');
    await waitServed(page, 'anna');
    await agent.notice('customer bob', { prefix: true });
    await send(page, 'Is anyone there?');
    assert.equal(await agent.message(), 'Is anyone there?');
    agent.say('Yes, hello');
    await waitMessage(page, 'Yes, hello', { mine: false });
    assert.equal(page.url(), `${d.base}/`, 'no navigation');
    await page.reload();
    await page.waitForSelector('form#join-form', { state: 'visible' });
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a taken name is said plainly: "ivy was taken: you are ivy2"', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const agent = await s.agent(d, 'anna');
    await s.customer(d, 'ivy');
    await agent.notice('customer ivy', { prefix: true });
    const page = await customerPage(s, d, 'ivy', { viewport: DESKTOP });
    await waitPosition(page, 1);
    await until(async () => (await sysLines(page)).includes('ivy was taken: you are ivy2'), 'the rename said');
    await send(page, 'hello');
    await waitMessage(page, 'hello', { mine: true, from: 'ivy2' });
  }));

test('the first customer while no agent is here is told so, then served', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon();
    const page = await customerPage(s, d, 'bob', { viewport: DESKTOP });
    await page.waitForSelector('#no-agent', { state: 'visible' });
    assert.equal((await page.textContent('#no-agent')).trim(), NO_AGENT);
    assert.doesNotMatch(await page.innerText('#wait'), /in line/);
    await send(page, 'My question, for whoever comes');
    const agent = await s.agent(d, 'anna');
    await waitServed(page, 'anna');
    assert.equal(await agent.message(), 'My question, for whoever comes');
    assert.ok(await page.isHidden('#no-agent'));
  }));

test('after a restart without the agent the page follows the notices and the newest line', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const port = await freePort();
    const d = await s.daemon(`web_listen = 127.0.0.1:${port}\nresume_grace = 120\nturns = free\n`);
    const agent = await s.agent(d, 'mary');
    const page = await customerPage(s, d, 'bob', { viewport: SMALL_PHONE, options: { isMobile: true, hasTouch: true } });
    await waitServed(page, 'mary');
    await agent.notice('customer bob', { prefix: true });
    for (let i = 1; i <= 12; i++) agent.say(`line ${i} of a long answer`);
    await waitMessage(page, 'line 12 of a long answer');
    // The daemon goes with mary attached, so the page last knew her as its agent.
    await d.stop();
    await d.start();
    // Resumed: no agent here, so no "chatting with mary", and the newest line still in view.
    await page.waitForSelector('#no-agent', { state: 'visible' });
    await until(async () => (await page.isHidden('#chat')), '#chat hidden: mary is gone');
    await until(async () => (await notInView(page, ['#log > *', '#composer'])).length === 0, 'the newest line in view');
    assert.deepEqual(await notInView(page, ['header.bar', '#wait']), []);
    const back = await s.agent(d, 'mary');
    await waitServed(page, 'mary');
    assert.ok(await page.isHidden('#no-agent'));
    await send(page, 'still there?');
    assert.equal(await back.message(), 'still there?');
  }));

test('joining while the daemon is down says so once, updated in place, then joins', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const port = await freePort();
    const d = await s.daemon(`web_listen = 127.0.0.1:${port}\n`);
    const page = await s.page(DESKTOP);
    await open(page, d, '/');
    await d.stop();
    let tries = 0;
    page.on('websocket', () => { tries++; });
    await join(page, 'bob');
    await until(() => tries >= 3, 'three tries to connect', 30000);
    const said = await sysMatching(page, /cannot be reached/);
    assert.equal(said.length, 1, JSON.stringify(await sysLines(page)));
    assert.match(said[0], /^The desk cannot be reached; trying again in \d+ s$/);
    assert.deepEqual(await sysMatching(page, /Reconnecting/), []);
    await d.start();
    const agent = await s.agent(d, 'anna');
    await waitServed(page, 'anna');
    await agent.notice('customer bob', { prefix: true });
    assert.deepEqual(await sysMatching(page, /cannot be reached/), []);
  }));

test('a full line is said in the same words whether or not the daemon could say why', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('max_queue = 1\n');
    const agent = await s.agent(d, 'anna');
    await s.customer(d, 'bob');
    await agent.notice('customer bob', { prefix: true });
    const carol = await s.customer(d, 'carol');
    await carol.notice('queued 1', { prefix: true });
    for (const quiet of [false, true]) {
      const page = await s.page(DESKTOP);
      // Without "hello notices" the daemon refuses without a word, as when the hello comes
      // after it has judged the nickname.
      if (quiet) {
        await page.routeWebSocket(/\/ws$/, (ws) => {
          const server = ws.connectToServer();
          ws.onMessage((m) => { if (!String(m).endsWith('|4|hello notices')) server.send(m); });
        });
      }
      await open(page, d, '/');
      await join(page, `dave${quiet ? 2 : 1}`);
      await page.waitForSelector('#join-error', { state: 'visible' });
      assert.equal(await page.textContent('#join-error'), FULL, quiet ? 'refused without a notice' : 'with error queue-full');
    }
  }));
