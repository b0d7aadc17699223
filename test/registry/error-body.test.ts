import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseErrorBody, summarizeRegistryError } from '../../src/registry/error-body.js';

type Parsed = ReturnType<typeof parseErrorBody>;
const cases: Array<{ name: string; ct: string | undefined; body: string; want: Parsed; summary: string; status?: number }> = [
  {
    name: 'spec errors array',
    ct: 'application/json; charset=utf-8',
    body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}',
    want: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v9' } }] },
    summary: 'MANIFEST_UNKNOWN: manifest unknown',
  },
  {
    name: 'several errors, duplicates collapsed in summary',
    ct: 'application/json',
    body: JSON.stringify({ errors: [{ code: 'DENIED', message: 'no' }, { code: 'DENIED', message: 'no' }, { code: 'UNAUTHORIZED' }] }),
    want: { errors: [{ code: 'DENIED', message: 'no' }, { code: 'DENIED', message: 'no' }, { code: 'UNAUTHORIZED' }] },
    summary: 'DENIED: no; UNAUTHORIZED',
  },
  {
    name: 'harbor project not found',
    ct: 'application/json',
    body: '{"errors":[{"code":"NOT_FOUND","message":"project nope not found"}]}',
    want: { errors: [{ code: 'NOT_FOUND', message: 'project nope not found' }] },
    summary: 'NOT_FOUND: project nope not found',
  },
  {
    name: 'single code/message object',
    ct: 'application/json',
    body: '{"code":"PRECONDITION","message":"immutable tag"}',
    want: { errors: [{ code: 'PRECONDITION', message: 'immutable tag' }] },
    summary: 'PRECONDITION: immutable tag',
  },
  {
    name: 'numeric code (old Harbor)',
    ct: 'application/json',
    body: '{"code":404,"message":"repository not found"}',
    want: { errors: [{ code: '404', message: 'repository not found' }] },
    summary: '404: repository not found',
  },
  {
    name: 'top-level array',
    ct: 'application/json',
    body: '[{"code":"FORBIDDEN","message":"denied"}]',
    want: { errors: [{ code: 'FORBIDDEN', message: 'denied' }] },
    summary: 'FORBIDDEN: denied',
  },
  {
    name: 'errors with missing code',
    ct: 'application/json',
    body: '{"errors":[{"message":"something"}, 42, null, "plain string"]}',
    want: { errors: [{ code: 'UNKNOWN', message: 'something' }, { code: 'UNKNOWN', message: 'plain string' }] },
    summary: 'UNKNOWN: something; UNKNOWN: plain string',
  },
  {
    name: 'docker hub token server details',
    ct: 'application/json',
    body: '{"details":"incorrect username or password"}',
    want: { errors: [], text: 'incorrect username or password' },
    summary: 'incorrect username or password',
  },
  {
    name: 'oauth error',
    ct: 'application/json',
    body: '{"error":"invalid_grant","error_description":"refresh token expired"}',
    want: { errors: [], text: 'refresh token expired' },
    summary: 'refresh token expired',
  },
  {
    name: 'json without known shape falls back to text',
    ct: 'application/json',
    body: '{"foo":1}',
    want: { errors: [], text: '{"foo":1}' },
    summary: '{"foo":1}',
  },
  {
    name: 'invalid json with json content type',
    ct: 'application/json',
    body: '{"errors":[',
    want: { errors: [], text: '{"errors":[' },
    summary: '{"errors":[',
  },
  {
    name: 'json detected without content type',
    ct: undefined,
    body: ' {"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]} ',
    want: { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] },
    summary: 'TOOMANYREQUESTS: slow down',
  },
  {
    name: 'docker hub 429 plain text',
    ct: 'text/plain',
    body: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits\n',
    want: {
      errors: [],
      text: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits',
    },
    summary: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits',
    status: 429,
  },
  {
    name: 'nginx html page',
    ct: 'text/html',
    body: '<html>\r\n<head><title>502 Bad Gateway</title><style>body{x:y}</style></head>\r\n<body>\r\n<center><h1>502 Bad&nbsp;Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n<!-- a comment -->\r\n</body>\r\n</html>\r\n',
    want: { errors: [], text: '502 Bad Gateway nginx' },
    summary: '502 Bad Gateway nginx',
    status: 502,
  },
  {
    name: 'html sniffed without content type',
    ct: undefined,
    body: '<!DOCTYPE html><html><body><p>Service &amp; stuff <b>down</b></p><script>evil()</script></body></html>',
    want: { errors: [], text: 'Service & stuff down' },
    summary: 'Service & stuff down',
  },
  { name: 'empty body', ct: 'text/plain', body: '', want: { errors: [] }, summary: 'HTTP 502', status: 502 },
  { name: 'whitespace body', ct: undefined, body: ' \n\t ', want: { errors: [] }, summary: 'HTTP 404', status: 404 },
  { name: 'html with no text', ct: 'text/html', body: '<html><body></body></html>', want: { errors: [] }, summary: 'HTTP 503', status: 503 },
  {
    name: 'control characters removed',
    ct: 'text/plain',
    body: 'bad\u001b[31m thing\u0007\u202e here',
    want: { errors: [], text: 'bad[31m thing here' },
    summary: 'bad[31m thing here',
  },
];
for (const c of cases) {
  test(`parseErrorBody: ${c.name}`, () => {
    const parsed = parseErrorBody(c.ct, c.body);
    assert.deepEqual(parsed, c.want);
    assert.equal(summarizeRegistryError(c.status ?? 400, parsed), c.summary);
  });
}

test('long text is cut to 300 characters on one line', () => {
  const parsed = parseErrorBody('text/plain', 'word\n'.repeat(500));
  assert.ok(parsed.text);
  assert.equal(parsed.text.length, 300);
  assert.ok(parsed.text.endsWith('…'));
  assert.ok(!parsed.text.includes('\n'));
});

test('long messages and summaries are bounded', () => {
  const body = JSON.stringify({ errors: Array.from({ length: 100 }, (_, i) => ({ code: `C${i}`, message: 'm'.repeat(1000) })) });
  const parsed = parseErrorBody('application/json', body);
  assert.equal(parsed.errors.length, 20);
  assert.ok(parsed.errors.every((e) => (e.message ?? '').length <= 300));
  assert.ok(summarizeRegistryError(400, parsed).length <= 300);
});

test('huge unterminated html: only the first 64 KiB is searched for text (the time it takes: bench fault timings)', () => {
  const body = '<script>'.repeat(200_000);
  assert.deepEqual(parseErrorBody('text/html', body), { errors: [] });
  // What lies past the first 64 KiB is never looked at, so the work is bounded whatever the body's size.
  const late = `<p>early</p>${' '.repeat(70_000)}<p>late text</p>`;
  assert.ok(late.indexOf('late text') > 64 * 1024);
  assert.deepEqual(parseErrorBody('text/html', late), { errors: [], text: 'early' });
  assert.deepEqual(parseErrorBody('text/html', late), parseErrorBody('text/html', late.slice(0, 64 * 1024)));
});

test('never throws on odd input', () => {
  for (const body of ['null', 'true', '"str"', '[]', '{"errors":null}', '{"errors":{}}', '{"code":{}}', '<', '<<>>', '\u0000']) {
    const parsed = parseErrorBody('application/json', body);
    assert.ok(Array.isArray(parsed.errors));
    assert.equal(typeof summarizeRegistryError(500, parsed), 'string');
  }
  // deliberately wrong types from untyped callers
  assert.deepEqual(parseErrorBody(undefined, undefined as unknown as string), { errors: [] });
});

test('summarize: message equal to code is not repeated', () => {
  assert.equal(summarizeRegistryError(500, { errors: [{ code: 'UNKNOWN', message: 'unknown' }] }), 'UNKNOWN');
});
