import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/log/pino-logger.js';

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
});
