// SPDX-License-Identifier: ISC
// The room page `/room` in chromium and a line member (what `nc` is) in the same room.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchChromium, Scope, screenshot, until, whySkip } from './harness.mjs';
import { checkPageRules, height, join, members, messages, ncMember, notInView, open, send, sysLines, waitMessage,
  waitOpen } from './pages.mjs';

const skip = whySkip();
let browser;
before(async () => { if (!skip) browser = await launchChromium(); });
after(async () => { if (browser) await browser.close(); });

const hasAll = (list, names) => names.every((n) => list.includes(n));

test('a room page and an nc member see each other and the members list', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\n');
    const nc = await ncMember(s, d, 'zed');

    const page = await s.page({ width: 1280, height: 800 });
    assert.deepEqual(await checkPageRules(page, await open(page, d, '/room')), []);
    await join(page, 'ann');
    await waitOpen(page);
    await page.waitForSelector('#join-form', { state: 'hidden' });
    await nc.line('* joined ann');
    await until(async () => hasAll(await members(page), ['ann', 'zed']), 'ann and zed in #members');

    nc.send('hello from a terminal');
    await waitMessage(page, 'hello from a terminal', { from: 'zed', mine: false });
    await send(page, 'hi zed, this is the browser');
    await nc.line('ann: hi zed, this is the browser');
    await waitMessage(page, 'hi zed, this is the browser', { from: 'ann', mine: true });

    // A framed member on the agent socket (the local admin, an operator) sets the topic, talks
    // and leaves: the page follows.
    const yara = await s.agent(d, 'yara');
    await until(async () => hasAll(await members(page), ['ann', 'zed', 'yara']), 'yara in #members');
    yara.command('topic Ask anything about the 2.0 release');
    await until(async () => (await page.textContent('#topic')).includes('Ask anything about the 2.0 release'), 'the topic in #topic');
    yara.say('hi all');
    await waitMessage(page, 'hi all', { from: 'yara', mine: false });
    await screenshot(page, 'room-desktop');
    yara.command('quit');
    await until(async () => !(await members(page)).includes('yara'), 'yara gone from #members');

    nc.send('<i>not markup</i> & fine');
    await waitMessage(page, '<i>not markup</i> & fine', { from: 'zed' });
    assert.equal(await page.locator('#log .msg i').count(), 0);
    const texts = (await messages(page)).map((m) => m.text);
    assert.deepEqual(texts.filter((x) => x !== null), ['hello from a terminal', 'hi zed, this is the browser', 'hi all',
      '<i>not markup</i> & fine']);
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a room page on a network gone silent notices it, resumes, and what was typed meanwhile is said once', { skip, timeout: 180000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\n');
    const nc = await ncMember(s, d, 'zed');
    const proxy = await s.proxy(d.webPort);
    const page = await s.page({ width: 1280, height: 800 });
    await page.goto(`${proxy.base}/room`);
    await join(page, 'ann');
    await waitOpen(page);
    await nc.line('* joined ann');
    // Stalled only once the page holds its session: before that there is nothing to resume.
    await until(() => page.evaluate(() => sessionStorage.getItem('frontdesk.room.session')), 'the session token');

    proxy.stall();
    await send(page, 'said in the tunnel');
    await until(async () => (await page.getAttribute('#conn', 'data-state')) !== 'open', 'the page to notice the dead link', 45000);
    proxy.flow();
    await nc.line('ann: said in the tunnel', 45000);
    await waitMessage(page, 'said in the tunnel', { from: 'ann', mine: true });
    await waitOpen(page);
    nc.send('welcome back');
    await waitMessage(page, 'welcome back', { from: 'zed' });
    // Once: nc saw no second copy before the line it sent after it came back.
    assert.equal(nc.seen.filter((l) => l === 'ann: said in the tunnel').length, 1);
    assert.equal((await messages(page)).filter((m) => m.text === 'said in the tunnel').length, 1);
    assert.deepEqual(s.pageErrors.filter((e) => e.startsWith('pageerror')), []);
  }));

test('a room page joining later gets the history as .msg.history', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\n');
    const nc = await ncMember(s, d, 'zed');
    nc.send('said before anyone came');
    await nc.line('zed: said before anyone came');

    const page = await s.page({ width: 1280, height: 800 });
    await open(page, d, '/room');
    await join(page, 'ann');
    await waitMessage(page, 'said before anyone came', { from: 'zed' });
    const earlier = (await messages(page)).find((m) => m.text === 'said before anyone came');
    assert.ok(earlier.history, 'the message from before the join is .history');
    nc.send('and one after');
    const now = await waitMessage(page, 'and one after', { from: 'zed' });
    assert.equal(now.history, false);
  }));

test('a long conversation in the room on a small phone keeps the header, the topic, the members and the composer', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\nmax_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n');
    const nc = await ncMember(s, d, 'zed');
    const yara = await s.agent(d, 'yara');
    yara.command('topic Release day');
    const page = await s.page({ width: 375, height: 667 }, { isMobile: true, hasTouch: true });
    await open(page, d, '/room');
    await join(page, 'ann');
    await until(async () => (await members(page)).length === 3, 'three members');
    for (let i = 1; i <= 20; i++) nc.send(`message ${i} from the terminal, long enough to wrap on a phone`);
    await waitMessage(page, 'message 20 from the terminal, long enough to wrap on a phone');
    await until(async () => (await notInView(page, ['header.bar', '#topic', '#composer', '#log .msg', '.members'])).length === 0,
      'the header, the topic, the composer, the newest message and the members in view');
    assert.ok(await height(page, '.members') >= 80, `.members is ${await height(page, '.members')} px high`);
    await screenshot(page, 'room-phone-long');
  }));

test('a taken name in the room is said as such, not as a rename of someone else', { skip, timeout: 120000 }, (t) =>
  Scope.run(t, browser, async (s) => {
    const d = await s.daemon('mode = group\n');
    const nc = await ncMember(s, d, 'tom');
    const page = await s.page({ width: 1280, height: 800 });
    await open(page, d, '/room');
    await join(page, 'tom');
    await nc.line((l) => /^\* joined tom\S+$/.test(l));
    await until(async () => (await members(page)).length === 2, 'two members');
    const renamed = (await members(page)).find((n) => n !== 'tom');
    await until(async () => (await sysLines(page)).includes(`tom was taken: you are ${renamed}`), 'the rename said');
    assert.deepEqual((await sysLines(page)).filter((l) => l.includes('known as')), []);
    nc.send('hello newcomer');
    await waitMessage(page, 'hello newcomer', { from: 'tom', mine: false });
    await send(page, 'hi tom');
    await waitMessage(page, 'hi tom', { from: renamed, mine: true });
  }));
