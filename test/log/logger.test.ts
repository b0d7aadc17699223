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
    assert.match(c.text(), /INFO: hello/);
    assert.match(c.text(), /"method":"syncSomething/);
    const plain = capture();
    createLogger({ destination: plain.stream }, {}).info({}, 'x');
    assert.doesNotMatch(plain.text(), /method/);
  });
});
