import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNextLink } from '../../src/registry/transport/link.js';

const req = 'https://reg.example:5000/v2/a/b/tags/list?n=2';
const cases: Array<{ name: string; header: string | string[] | undefined; want: string | undefined }> = [
  { name: 'absent', header: undefined, want: undefined },
  { name: 'empty', header: '', want: undefined },
  { name: 'distribution path-only', header: '</v2/_catalog?last=b&n=2>; rel="next"', want: 'https://reg.example:5000/v2/_catalog?last=b&n=2' },
  { name: 'unquoted rel', header: '</v2/a/b/tags/list?last=x&n=2>; rel=next', want: 'https://reg.example:5000/v2/a/b/tags/list?last=x&n=2' },
  { name: 'uppercase rel', header: '</p?x=1>; REL="NEXT"', want: 'https://reg.example:5000/p?x=1' },
  { name: 'absolute', header: '<https://other.example/v2/x?last=1>; rel="next"', want: 'https://other.example/v2/x?last=1' },
  { name: 'query-only relative', header: '<?next_page=abc&n=50>; rel="next"', want: 'https://reg.example:5000/v2/a/b/tags/list?next_page=abc&n=50' },
  {
    name: 'comma inside URL and several link-values',
    header: '</v2/x?last=a,b&n=2>; rel="prev", </v2/x?last=c,d&n=2>; rel="next"',
    want: 'https://reg.example:5000/v2/x?last=c,d&n=2',
  },
  { name: 'rel list', header: '</a>; rel="last next"', want: 'https://reg.example:5000/a' },
  { name: 'other rels only', header: '</a>; rel="prev", </b>; rel="last"', want: undefined },
  { name: 'rel=nextpage is not next', header: '</a>; rel="nextpage"', want: undefined },
  { name: 'other params first', header: '</a>; title="x, <y>; rel=prev"; rel="next"', want: 'https://reg.example:5000/a' },
  { name: 'array of headers', header: ['</a>; rel="prev"', '</b>; rel="next"'], want: 'https://reg.example:5000/b' },
  { name: 'no rel', header: '</a>', want: undefined },
  { name: 'non-http scheme refused', header: '<javascript:alert(1)>; rel="next"', want: undefined },
  { name: 'garbage', header: '<<>>;;,,rel=next', want: undefined },
  { name: 'unterminated', header: '</a; rel="next"', want: undefined },
  { name: 'first next wins', header: '</a>; rel=next, </b>; rel=next', want: 'https://reg.example:5000/a' },
];
for (const c of cases) {
  test(`parseNextLink: ${c.name}`, () => assert.equal(parseNextLink(c.header, req), c.want));
}

test('parseNextLink: joined by fetch Headers', () => {
  const h = new Headers();
  h.append('link', '</v2/x?last=a,b>; rel="prev"');
  h.append('link', '</v2/x?last=z>; rel="next"');
  assert.equal(parseNextLink(h.get('link') ?? undefined, req), 'https://reg.example:5000/v2/x?last=z');
});
