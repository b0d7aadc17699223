import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger, isSecretKey, redactSecrets } from '../../src/log/pino-logger.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }),
    text: () => chunks.join(''),
  };
}

describe('logger (dregsy environment)', () => {
  test('LOG_FORMAT=json, LOG_LEVEL, secrets redacted', () => {
    const c = capture();
    const log = createLogger({ destination: c.stream }, { LOG_FORMAT: 'json', LOG_LEVEL: 'warn' });
    log.info({}, 'hidden');
    log.warn({ registry: 'r', authorization: 'Bearer abc', password: 'pw', headers: { authorization: 'Basic x' } }, 'shown');
    const line = JSON.parse(c.text().trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'shown');
    assert.equal(line.authorization, '[redacted]');
    assert.equal(line.password, '[redacted]');
    assert.doesNotMatch(c.text(), /abc|pw|Basic x/);
    assert.doesNotMatch(c.text(), /hidden/);
  });
  test('text by default, readable in docker logs; LOG_METHODS adds the calling function', () => {
    const c = capture();
    const log = createLogger({ destination: c.stream }, { LOG_METHODS: 'true' });
    function syncSomething(): void {
      log.info({ task: 't1' }, 'hello');
    }
    syncSomething();
    // pino-pretty shows a `caller` field after the level
    assert.match(c.text(), /INFO <syncSomething \(.*logger\.test\.ts:\d+\)>: hello \{"task":"t1"\}/);
    const plain = capture();
    createLogger({ destination: plain.stream }, {}).info({}, 'x');
    assert.match(plain.text(), /INFO: x/);
    assert.doesNotMatch(plain.text(), /caller|</);
  });

  test('LOG_METHODS: child loggers and every level name their caller; a field called method stays the caller\'s', () => {
    const c = capture();
    const log = createLogger({ destination: c.stream }, { LOG_METHODS: 'true', LOG_FORMAT: 'json', LOG_LEVEL: 'trace' });
    const child = log.child({ task: 't' });
    function retrying(): void {
      child.debug({ method: 'GET' }, 'retrying request');
      child.trace({}, 'traced');
    }
    retrying();
    const lines = c.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(String(l.caller), /^retrying \(.*logger\.test\.ts:\d+\)$/);
    assert.equal(lines[0]?.method, 'GET');
  });

  test('secrets are redacted at any depth, in arrays, in any case, in child bindings, in text format too', () => {
    for (const format of ['json', 'text']) {
      const c = capture();
      const log = createLogger({ destination: c.stream }, { LOG_FORMAT: format });
      log
        .child({ component: 'x', Credentials: { username: 'u', password: 'child-secret' } })
        .warn(
          {
            Authorization: 'Bearer AAA-1',
            a: { b: { c: { d: { e: { f: { PASSWORD: 'deep-pw-2' } } } } } },
            list: [{ token: 'tok-3' }, [{ Secret: 'sec-4' }], { nested: [{ 'X-Registry-Auth': 'xra-5' }] }],
            registries: { 'registry.example': { auth: 'YWxpY2U6c2VjcmV0-6', identity_token: 'id-7', clientSecret: 'cs-8' } },
            proxy_authorization: 'Basic p-9',
            kept: 'visible-value',
          },
          'shown',
        );
      const out = c.text();
      for (const secret of ['child-secret', 'AAA-1', 'deep-pw-2', 'tok-3', 'sec-4', 'xra-5', 'YWxpY2U6c2VjcmV0-6', 'id-7', 'cs-8', 'p-9']) {
        assert.ok(!out.includes(secret), `${format}: ${secret} leaked: ${out}`);
      }
      assert.match(out, /visible-value/);
      assert.match(out, /\[redacted\]/);
    }
  });

  test('which keys count as secret', () => {
    for (const k of ['authorization', 'Authorization', 'AUTHORIZATION', 'password', 'Password', 'token', 'Token', 'accessToken', 'access_token', 'secret', 'clientSecret', 'auth', 'Auth', 'credentials', 'identityToken', 'cookie', 'Set-Cookie', 'passwd']) {
      assert.ok(isSecretKey(k), k);
    }
    for (const k of ['registry', 'repository', 'author', 'authority', 'tokens_used', 'username', 'status']) assert.ok(!isSecretKey(k), k);
  });

  test('redactSecrets copies, keeps non-plain objects, survives cycles and huge depth', () => {
    const input: Record<string, unknown> = { password: 'x', keep: 1 };
    const out = redactSecrets(input) as Record<string, unknown>;
    assert.equal(input.password, 'x', 'the caller\'s object is untouched');
    assert.equal(out.password, '[redacted]');
    const cyc: Record<string, unknown> = { token: 't' };
    cyc.self = cyc;
    assert.deepEqual(redactSecrets(cyc), { token: '[redacted]', self: '[circular]' });
    const err = new Error('boom');
    assert.equal((redactSecrets({ err }) as { err: unknown }).err, err);
    let deep: Record<string, unknown> = { password: 'bottom' };
    for (let i = 0; i < 10_000; i++) deep = { n: deep };
    assert.ok(!JSON.stringify(redactSecrets(deep)).includes('bottom'));
  });

  test('messages carry no control characters, and no line of a message can pass for a log line', () => {
    for (const format of ['json', 'text']) {
      const c = capture();
      const log = createLogger({ destination: c.stream, colors: false }, { LOG_FORMAT: format });
      log.warn({ registry: 'r' }, 'registry said \u001b[2J\u001b[31mboom\r\n[2026-01-01 00:00:00] INFO: forged\u202e');
      const out = c.text();
      assert.ok(!out.includes('\u001b') && !out.includes('\u202e') && !out.includes('\r'), `${format}: ${JSON.stringify(out)}`);
      const lines = out.split('\n').filter((l) => l !== '');
      assert.ok(!lines.some((l) => l.startsWith('[2026-01-01')), `${format}: forged line: ${JSON.stringify(out)}`);
    }
  });
});
