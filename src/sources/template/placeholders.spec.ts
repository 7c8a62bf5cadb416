import { INJECTION_VALUES } from '../../../test/support/injection-values';
import { normalizeIncoming } from '../../phone';
import { SourceError } from '../../core/source-error';
import { odataLiteral, parseTemplateString, quotedLiteral, render, type Place, type TemplatePart } from './placeholders';
import { prepareRequest } from './template-client';
import { loadTemplateText } from './template-loader';

const one = (text: string): TemplatePart[] => parseTemplateString(text);
const value = (v: string) => () => v;

/** A template whose one request puts `{{param.X}}` in every place a value can go. */
const EVERY_PLACE = `
id: places
name: Places
prefix: PLACES
badge: { letters: PL, color: "#123456" }
baseUrl: https://crm.example.ch
parameters:
  - name: X
auth: { type: none }
requests:
  - name: everywhere
    method: POST
    path: /api/{{param.X}}/search
    query:
      term: "{{param.X}}"
      $filter: "telephone1 eq {{param.X | odata}}"
      criteria: "(Phone:equals:{{param.X | quoted}})"
    headers:
      X-Term: "{{param.X}}"
    body:
      - field: phone
        value: "{{param.X}}"
        criteria: like
    response:
      records: "$[*]"
      objectType: contact
      idPattern: "^[0-9]+$"
      id: "$.id"
      kind: person
      name: "$.name"
      phones: "$.phone"
`;

describe('template placeholders', () => {
  it('splits a string into text and placeholders, with their filters', () => {
    expect(one('/api/{{number.e164}}/x?{{ param.COMPANY | odata }}')).toEqual([
      '/api/',
      { source: 'number', name: 'e164' },
      '/x?',
      { source: 'param', name: 'COMPANY', filter: 'odata' },
    ]);
    expect(one('plain')).toEqual(['plain']);
    expect(one('{{number.last7}}{{record.id}}')).toEqual([{ source: 'number', name: 'last7' }, { source: 'record', name: 'id' }]);
  });

  it.each([
    ['{{number.e165}}', 'unknown number form "e165"'],
    ['{{number.last3}}', 'unknown number form "last3"'],
    ['{{secret.X}}', 'unknown placeholder {{secret.X}}'],
    ['{{record.name}}', 'unknown record value "name"'],
    ['{{param.X | sql}}', 'unknown filter "sql"'],
    ['{{param.X', 'malformed placeholder'],
    ['{{ param.X }} }}', 'malformed placeholder'],
  ])('refuses %j', (text, problem) => {
    expect(() => one(text)).toThrow(problem);
  });

  it('encodes a value as one path segment: / ? # % and spaces cannot leave it', () => {
    expect(render(one('/persons/{{param.X}}/x'), 'path', value('a/b?c#d%e f'))).toBe('/persons/a%2Fb%3Fc%23d%25e%20f/x');
    expect(() => render(one('/persons/{{param.X}}/x'), 'path', value('..'))).toThrow(SourceError);
    expect(() => render(one('/persons/{{param.X}}'), 'path', value('.'))).toThrow('"." or ".." path segment');
    expect(render(one('/persons/v{{param.X}}'), 'path', value('..'))).toBe('/persons/v..');
  });

  it('builds OData and quoted literals whose quotes cannot be closed by the value', () => {
    expect(odataLiteral("O'Brien")).toBe("'O''Brien'");
    expect(odataLiteral("' or 1 eq 1 or '")).toBe("''' or 1 eq 1 or '''");
    expect(quotedLiteral('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
  });

  it('refuses control characters in every place, and non-Latin-1 text in a header', () => {
    for (const place of ['path', 'query', 'header', 'json', 'link'] as Place[]) {
      expect(() => render(one('{{param.X}}'), place, value('a\r\nb'))).toThrow(/cannot go into the .*control characters/);
    }
    expect(() => render(one('{{param.X}}'), 'header', value('Zürich ✓'))).toThrow('characters a header cannot carry');
    expect(render(one('{{param.X}}'), 'header', value('Zürich'))).toBe('Zürich');
  });

  it('leaves a value out when its parameter is unset, and inserts the base URL of a link as it is', () => {
    expect(render(one('https://{{param.X}}.example/p/{{record.id}}'), 'link', () => undefined)).toBeUndefined();
    const link = one('{{param.BASE_URL}}/main.aspx?id={{record.id}}');
    expect(render(link, 'link', (p) => (p.source === 'record' ? 'a b/c' : 'https://org.crm4.dynamics.com'))).toBe('https://org.crm4.dynamics.com/main.aspx?id=a%20b%2Fc');
  });

  it('never reads a value as a template: a placeholder inside a value stays text', () => {
    expect(render(one('{{param.X}}'), 'json', (p) => (p.name === 'X' ? '{{param.SECRET}}' : 'leaked'))).toBe('{{param.SECRET}}');
  });

  describe('the injection values of the security tests', () => {
    const loaded = loadTemplateText(EVERY_PLACE, 'places.yaml');
    const compiled = loaded.requests[0]!;

    it.each(INJECTION_VALUES.map((v) => [v]))('%j is no number: the gateway asks no source with it', (raw) => {
      expect(normalizeIncoming(raw, 'CH')?.kind ?? 'refused').not.toBe('phone');
    });

    it.each(INJECTION_VALUES.map((v) => [v]))('%j stays inside every place of a request, or the request is refused unsent', (raw) => {
      // Refused, unsent: only what no place may carry (control characters; text a header cannot carry; a whole `..` segment).
      // eslint-disable-next-line no-control-regex
      const refused = /[\u0000-\u001f\u007f]/.test(raw) || !/^[\u0020-\u007e\u00a0-\u00ff]*$/.test(raw) || raw === '..' || raw === '.';
      const prepare = () => prepareRequest(compiled, (p) => (p.source === 'param' ? raw : undefined));
      if (refused) {
        let thrown: unknown;
        try {
          prepare();
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toMatchObject({ code: 'BAD_REQUEST', vendorCode: 'TEMPLATE_VALUE_REFUSED' });
        return;
      }
      const prepared = prepare();
      const url = new URL(`https://crm.example.ch${prepared.pathAndQuery}`);
      // The path: three segments, the middle one the value.
      const segments = url.pathname.split('/');
      expect(segments).toHaveLength(4);
      expect(decodeURIComponent(segments[2]!)).toBe(raw);
      expect(url.hash).toBe('');
      // The query: exactly its three parameters, each holding the value in its literal.
      expect([...url.searchParams.keys()]).toEqual(['term', '$filter', 'criteria']);
      expect(url.searchParams.get('term')).toBe(raw);
      const odata = /^telephone1 eq '((?:[^']|'')*)'$/.exec(url.searchParams.get('$filter')!);
      expect(odata?.[1]?.replaceAll("''", "'")).toBe(raw);
      const quoted = /^\(Phone:equals:"((?:[^"\\]|\\.)*)"\)$/.exec(url.searchParams.get('criteria')!);
      expect(quoted?.[1]?.replace(/\\(.)/g, '$1')).toBe(raw);
      // The header holds the value and nothing more.
      expect(prepared.headers).toEqual({ 'X-Term': raw });
      // The body, as sent (JSON), reads back as the same structure with the value in its string.
      expect(JSON.parse(JSON.stringify(prepared.body))).toEqual([{ field: 'phone', value: raw, criteria: 'like' }]);
    });
  });
});
