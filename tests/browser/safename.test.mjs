// SPDX-License-Identifier: ISC
// safeName() of contrib/web/files.js against the daemon's file_name_sanitise(): the same
// characters dropped (what a terminal obeys or hides), leading dots and blanks, 128 bytes.
// Plain Node: no browser, no daemon.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeName } from '../../contrib/web/files.js';

test('the path, controls and leading dots and blanks go', () => {
  assert.equal(safeName('../../etc/passwd'), 'passwd');
  assert.equal(safeName('C:\\Users\\ann\\report.pdf'), 'report.pdf');
  assert.equal(safeName('.bashrc'), 'bashrc');
  assert.equal(safeName(' . .hidden '), 'hidden');
  assert.equal(safeName('a\u0000b\u001bc\u007fd\u0085e\u009bf'), 'abcdef');
  assert.equal(safeName('..'), 'file');
  assert.equal(safeName('   '), 'file');
});

test('what a terminal hides or reorders goes', () => {
  // "invoice<RLO>fdp.exe" would show as "invoiceexe.pdf".
  assert.equal(safeName('invoice\u202efdp.exe'), 'invoicefdp.exe');
  const hidden = ['\u00ad', '\u061c', '\u180e', '\u200b', '\u200f', '\u2028', '\u202a',
    '\u2060', '\u2066', '\u206f', '\ufeff', '\ufff9', '\ufffb', '\ud800'];
  for (const c of hidden) assert.equal(safeName(`a${c}b.txt`), 'ab.txt', c.codePointAt(0).toString(16));
  // Kept: letters of any script, emoji, a joiner's neighbours that are text.
  assert.equal(safeName('r\u00e9sum\u00e9 \u0627\u0644\u0645\u0644\u0641 \u{1f600}.pdf'),
    'r\u00e9sum\u00e9 \u0627\u0644\u0645\u0644\u0641 \u{1f600}.pdf');
});

test('at most 128 bytes of UTF-8, cut between characters', () => {
  assert.equal(safeName('a'.repeat(200)), 'a'.repeat(128));
  // 2-byte characters: 64 fit; a 3-byte one after 127 bytes does not.
  assert.equal(safeName('\u00e9'.repeat(100)), '\u00e9'.repeat(64));
  assert.equal(safeName('a'.repeat(127) + '\u20ac'), 'a'.repeat(127));
  assert.equal(new TextEncoder().encode(safeName('\u{1f600}'.repeat(40))).length, 128);
});
