// SPDX-License-Identifier: ISC
// What the tests read and do on the project's pages, by the DOM contract they follow (the
// ids and classes of the customer page `/` and the room page `/room`): one place to change
// if the contract does.

import { until } from './harness.mjs';

/** Load @path of daemon @d in @page; the page must be there (200). */
export async function open(page, d, path) {
  const response = await page.goto(`${d.base}${path}`);
  if (response.status() !== 200) throw new Error(`GET ${path}: ${response.status()} (is the page in this build?)`);
  return response;
}

/** Fill the join form with @name and submit it. */
export async function join(page, name) {
  await page.waitForSelector('form#join-form', { state: 'visible' });
  await page.fill('#name', name);
  await page.click('#join');
}

/** Type @text into the composer and send it with Enter. */
export async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** The messages in #log, in order: {from, text, mine, theirs, history}. */
export function messages(page) {
  return page.$$eval('#log .msg', (els) => els.map((e) => ({
    from: e.querySelector('.from')?.textContent ?? null,
    text: e.querySelector('.text')?.textContent ?? null,
    mine: e.classList.contains('mine'),
    theirs: e.classList.contains('theirs'),
    history: e.classList.contains('history'),
  })));
}

/** The system lines in #log. */
export function sysLines(page) {
  return page.$$eval('#log .sys', (els) => els.map((e) => e.textContent));
}

/** Wait until #log holds a message with @text (and, if given, from @from / mine or not). */
export function waitMessage(page, text, { from, mine } = {}) {
  return until(async () => (await messages(page)).find((m) => m.text === text &&
    (from === undefined || m.from === from) && (mine === undefined || m.mine === mine)),
  `a message ${JSON.stringify(text)} in #log`);
}

/** How many messages in #log have @text. */
export async function countMessages(page, text) {
  return (await messages(page)).filter((m) => m.text === text).length;
}

export async function connState(page) {
  return page.getAttribute('#conn', 'data-state');
}

export function waitOpen(page) {
  return page.waitForSelector('#conn[data-state="open"]', { state: 'attached' });
}

/** Wait for the line: #wait visible, #position's data-position and text both @n. */
export async function waitPosition(page, n) {
  await page.waitForSelector('#wait', { state: 'visible' });
  await page.waitForSelector(`#position[data-position="${n}"]`, { state: 'attached' });
  return until(async () => (await page.textContent('#position')).trim() === String(n), `#position to read ${n}`);
}

/** Wait until the customer is served: #chat visible, #agent-name @agent, the form and #wait gone. */
export async function waitServed(page, agent) {
  await page.waitForSelector('#chat', { state: 'visible' });
  await until(async () => (await page.textContent('#agent-name')).trim() === agent, `#agent-name to be ${agent}`);
  await page.waitForSelector('#join-form', { state: 'hidden' });
  await page.waitForSelector('#wait', { state: 'hidden' });
}

/** The names in the room page's #members. */
export function members(page) {
  return page.$$eval('ul#members > li', (els) => els.map((e) => e.textContent.trim()));
}

/** dom.md's rules for every page, checked on a freshly loaded @page (@response its GET). */
export async function checkPageRules(page, response) {
  const problems = [];
  const html = await response.text();
  if (await page.getAttribute('html', 'lang') !== 'en') problems.push('<html lang="en"> missing');
  // No inline script or style in the markup (the page's CSP forbids them).
  if (/<script(?![^>]*\ssrc=)[^>]*>/i.test(html)) problems.push('an inline <script>');
  if (/<style[\s>]/i.test(html)) problems.push('a <style> element');
  if (/<[^>]+\sstyle\s*=/i.test(html)) problems.push('a style="" attribute');
  if (/<[^>]+\son[a-z]+\s*=/i.test(html)) problems.push('an on...="" handler');
  const csp = response.headers()['content-security-policy'] || '';
  if (!csp) problems.push('no Content-Security-Policy header');
  if (/unsafe-inline|unsafe-eval/.test(csp)) problems.push(`CSP allows unsafe-*: ${csp}`);
  const scripts = await page.$$eval('script', (els) => els.map((e) => ({ src: e.getAttribute('src'), type: e.type })));
  for (const s of scripts) {
    if (s.type !== 'module' || !s.src?.startsWith('/static/')) problems.push(`script ${JSON.stringify(s)} is not a module from /static/`);
  }
  const sheets = await page.$$eval('link[rel="stylesheet"]', (els) => els.map((e) => e.getAttribute('href')));
  if (sheets.length !== 1 || sheets[0] !== '/static/style.css') problems.push(`stylesheets ${JSON.stringify(sheets)}, not just /static/style.css`);
  const state = await page.getAttribute('#conn', 'data-state');
  if (!['connecting', 'open', 'closed'].includes(state)) problems.push(`#conn data-state ${JSON.stringify(state)}`);
  return problems;
}

/** What of @selectors is not wholly in @page's viewport and in the boxes that scroll it,
 *  drawn on top there (not covered by
 *  something else, as a log grown over a header would be); [] when all are. A selector's last
 *  match counts, so '#log .msg' is the newest message. */
export function notInView(page, selectors) {
  return page.evaluate((sels) => sels.filter((sel) => {
    const all = document.querySelectorAll(sel);
    const el = all[all.length - 1];
    if (!el) return true;
    const r = el.getBoundingClientRect();
    if (r.height === 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) return true;
    // Nor cut off by a scrolled box around it (the log scrolled short of its newest line).
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowY === 'visible') continue;
      const b = p.getBoundingClientRect();
      if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) return true;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 8));
    return !(hit && (el.contains(hit) || hit.contains(el)));
  }), selectors);
}

/** The height in px of @selector's box. */
export function height(page, selector) {
  return page.$eval(selector, (e) => e.getBoundingClientRect().height);
}

/** The .sys lines in #log that match @re. */
export async function sysMatching(page, re) {
  return (await sysLines(page)).filter((l) => re.test(l));
}

/** A line member of @d's room named @name (what `nc` is, renamed with /nick). */
export async function ncMember(s, d, name) {
  const nc = await s.line(d, 'nc');
  await nc.line((l) => l.startsWith('* welcome group '));
  nc.send(`/nick ${name}`);
  await nc.line((l) => new RegExp(`^\\* renamed \\S+ ${name}$`).test(l));
  return nc;
}

/** A customer page of @d (a page of scope @s, with @viewport and @options), joined as @name;
 *  with @agent (a peer on the agent socket), served by it, which has heard of @name. */
export async function customerPage(s, d, name, { agent, viewport, options } = {}) {
  const page = await s.page(viewport, options);
  await open(page, d, '/');
  await join(page, name);
  if (agent) {
    await waitServed(page, agent.name);
    await agent.notice(`customer ${name}`, { prefix: true });
  }
  return page;
}
