import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { decodeDregsyAuth, encodeDregsyAuth, AuthFormatError } from '../../src/credentials/dregsy-auth.js';
import { expandReferences, hasReference, UnresolvedReferenceError, type ExpandEnv } from '../../src/credentials/expand.js';
import { basicCredentials, tokenCredentials, type Credentials } from '../../src/credentials/types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const files: Record<string, string> = { '/run/secrets/harbor': `${b64('{"username":"robot$proj+ci","password":"s3cr3t"}')}\n`, '/run/secrets/pw': 'from-file\n' };
const E: ExpandEnv = {
  env: { HARBOR_AUTH: b64('{"username":"robot$proj+ci","password":"env-pw"}'), PW: 'p$w"d', EMPTY: '' },
  readFile: (p) => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return f;
  },
};

function basic(value: string): { username: string; password: string } {
  const s = decodeDregsyAuth(value, E);
  assert.equal(s.kind, 'static');
  const c = (s as { credentials: Credentials }).credentials;
  assert.ok('username' in c);
  return { username: c.username, password: c.password };
}

describe('dregsy auth decoding', () => {
  it('the README example, with its trailing newline', () => {
    assert.deepEqual(basic('eyJ1c2VybmFtZSI6ICJhbGV4IiwgInBhc3N3b3JkIjogInNlY3JldCJ9Cg=='), { username: 'alex', password: 'secret' });
  });
  // difference #5: every character survives
  const awkward: Array<[string, string]> = [
    ['robot$project+name', 'pa"ss'],
    ['robot$p+n', 'back\\slash'],
    ['user:with:colons', 'pass:word'],
    ['ünïcode', '$(rm -rf /)`x`'],
    ['a', '${not-a-ref'],
  ];
  for (const [u, p] of awkward) {
    it(`round-trips ${JSON.stringify(u)} / ${JSON.stringify(p)}`, () => assert.deepEqual(basic(encodeDregsyAuth(u, p)), { username: u, password: p }));
  }
  it('keys are case-insensitive, as in Go', () => {
    assert.deepEqual(basic(b64('{"Username":"u","PASSWORD":"p"}')), { username: 'u', password: 'p' });
  });
  it('base64 with a trailing newline or line breaks (as from base64(1))', () => {
    const v = b64('{"username":"a-rather-long-user-name","password":"and-a-rather-long-password-too"}');
    assert.deepEqual(basic(`${v.slice(0, 20)}\n${v.slice(20)}\n`), { username: 'a-rather-long-user-name', password: 'and-a-rather-long-password-too' });
  });
  it('user:password is accepted too', () => assert.deepEqual(basic(b64('me:pa:ss')), { username: 'me', password: 'pa:ss' }));
  it('none', () => {
    assert.deepEqual(decodeDregsyAuth('none', E), { kind: 'none' });
    assert.deepEqual(decodeDregsyAuth(' none ', E), { kind: 'none' });
  });
  it('${ENV} as the whole value', () => assert.deepEqual(basic('${HARBOR_AUTH}'), { username: 'robot$proj+ci', password: 'env-pw' }));
  it('${file:} as the whole value, trailing newline tolerated', () => {
    assert.deepEqual(basic('${file:/run/secrets/harbor}'), { username: 'robot$proj+ci', password: 's3cr3t' });
  });
  it('references inside the decoded values', () => {
    assert.deepEqual(basic(encodeDregsyAuth('robot$x', '${PW}')), { username: 'robot$x', password: 'p$w"d' });
    assert.deepEqual(basic(encodeDregsyAuth('u', '${file:/run/secrets/pw}')), { username: 'u', password: 'from-file' });
    assert.deepEqual(basic(encodeDregsyAuth('u', 'lit$${PW}')), { username: 'u', password: 'lit${PW}' });
  });
  const bad: Array<[string, RegExp]> = [
    ['not base64!', /^invalid Auth: illegal base64 data at input byte 3; auth must be the standard base64/],
    ['YWJj', /^invalid Auth: the decoded value is neither JSON nor user:password/], // "abc"
    ['YWJjZA', /^invalid Auth: illegal base64 data at input byte 4/], // unpadded
    ['YW=jZA==', /^invalid Auth: illegal base64 data at input byte 2/],
    [b64('{"password":"p"}'), /^invalid Auth: the decoded value has a password but no username/],
    [b64('{"username":"u"}'), /^invalid Auth: the decoded value has a username but no password/],
    [b64('{"username":"u","password":""}'), /^invalid Auth: the decoded value has a username but no password/],
    [b64('u:'), /^invalid Auth: the decoded value has a username but no password/],
    [b64('{}'), /^invalid Auth: the decoded value has no username and no password; .*auth: none/],
    [b64('{"username":1}'), /^invalid Auth: "username" in the decoded JSON is not a string/],
    [b64('{"username":"u","password":"bad\\q"}'), /^invalid Auth: the decoded value is neither JSON/],
  ];
  for (const [v, re] of bad) {
    it(`rejects ${v}`, () => {
      assert.throws(() => decodeDregsyAuth(v, E), (e: unknown) => e instanceof AuthFormatError && re.test(e.message) && !e.message.includes('"p"'));
    });
  }
  it('unresolved references name the reference, never a value', () => {
    assert.throws(() => decodeDregsyAuth('${NOPE}', E), (e: unknown) => e instanceof UnresolvedReferenceError && e.message === 'environment variable NOPE is not set (referenced as ${NOPE})');
    assert.throws(() => decodeDregsyAuth('${file:/nope}', E), { message: 'cannot read file "/nope" for ${file:/nope} (ENOENT)' });
    assert.throws(() => decodeDregsyAuth('${a-b}', E), { message: '"${a-b}" is not a valid reference: use ${ENV_VAR} or ${file:/path}' });
  });
});

describe('expandReferences', () => {
  it('leaves lone $ alone and expands several references', () => {
    assert.equal(expandReferences('robot$p+n ${EMPTY}x${PW}', E), 'robot$p+n xp$w"d');
    assert.equal(hasReference('robot$p'), false);
    assert.equal(hasReference('${X}'), true);
    assert.equal(hasReference('$${X}'), false);
  });
});

describe('secrets never print', () => {
  const creds = [basicCredentials('robot$x', 'TOPSECRET'), tokenCredentials('TOPSECRET')];
  for (const c of creds) {
    it(`${Object.keys(c).join('+')}`, () => {
      for (const text of [JSON.stringify(c), String(c), `${c}`, inspect(c), inspect({ nested: { c } }, { depth: 5 }), JSON.stringify({ a: [c] })]) {
        assert.ok(!text.includes('TOPSECRET'), text);
      }
      assert.ok(JSON.stringify(c).includes('[redacted]'));
      assert.ok(Object.values(c).includes('TOPSECRET')); // still usable
    });
  }
});
