import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTemplatesBeside, loadTemplates, loadTemplateText, SHIPPED_TEMPLATES_DIR, TemplateError } from './template-loader';

/** A small valid template; the tests below break one line of it at a time (line numbers in the comments). */
const VALID = `id: demo
name: Demo CRM
prefix: DEMO
badge: { letters: DC, color: "#336699" }
baseUrl: https://crm.example.ch/
parameters:
  - name: TOKEN
    required: true
    secret: true
auth:
  type: bearer
  token: "{{param.TOKEN}}"
requests:
  - name: contacts
    method: GET
    path: /contacts
    query:
      phone: "{{number.e164}}"
    response:
      records: "$.data[*]"
      objectType: contact
      idPattern: "^[0-9]+$"
      id: "$.id"
      kind: person
      name: ["$.first", "$.last"]
      phones: "$.phone"
`;

/** VALID with line `line` (counted from 1) replaced; `undefined` removes it. */
function withLine(line: number, text: string | undefined): string {
  const lines = VALID.split('\n');
  if (text === undefined) lines.splice(line - 1, 1);
  else lines[line - 1] = text;
  return lines.join('\n');
}

function problemsOf(text: string): string[] {
  try {
    loadTemplateText(text, 'templates/demo.yaml');
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return error.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.problem}`);
  }
  throw new Error('the template was accepted');
}

describe('template files', () => {
  it('reads a valid template: defaults filled in, one-or-many values as lists', () => {
    const { template, requests } = loadTemplateText(VALID, 'templates/demo.yaml');
    expect(template).toMatchObject({
      id: 'demo',
      prefix: 'DEMO',
      baseUrl: 'https://crm.example.ch',
      parameters: [{ name: 'TOKEN', required: true, secret: true }],
      limits: { concurrency: 4, requestsPerSecond: 0 },
      errors: { retryAfterHeaders: ['retry-after'] },
    });
    expect(requests[0]!.request.response).toMatchObject({ name: ['$.first', '$.last'], phones: ['$.phone'], customData: {} });
    expect(requests[0]!.query).toEqual([['phone', [{ source: 'number', name: 'e164' }]]]);
  });

  it.each<[string, number, string | undefined, string[]]>([
    ['a key given twice', 3, 'name: Other', ['templates/demo.yaml:3:1: Map keys must be unique']],
    [
      'a misspelt key (and the key it should be)',
      16,
      '    pathh: /contacts',
      ['templates/demo.yaml:14:5: requests[0]: missing key "path"', 'templates/demo.yaml:16:5: requests[0].pathh: unknown key (check its spelling; docs/templates.md lists every key)'],
    ],
    ['a missing key at the top', 5, undefined, ['templates/demo.yaml:1:1: missing key "baseUrl"']],
    ['a kind that is none', 24, '      kind: human', ['templates/demo.yaml:24:13: requests[0].response.kind: must match pattern "^(person|company)$"']],
    ['an unknown kind of sign-in', 11, '  type: token', ['templates/demo.yaml:11:9: auth.type: must be one of "none", "bearer", "basic", "apiKey", "oauth2"']],
    ['a reserved prefix', 3, 'prefix: CACHE', ['templates/demo.yaml:3:9: prefix: "CACHE" is reserved: its keys would be read as the gateway\'s own tenant keys']],
    [
      'a parameter that is not declared',
      18,
      '      phone: "{{param.TOKN}}"',
      ['templates/demo.yaml:18:14: requests[0].query.phone: {{param.TOKN}}: no parameter TOKN is declared (declared: BASE_URL, TOKEN)'],
    ],
    ["the caller's number in the credentials", 12, '  token: "{{number.e164}}"', ["templates/demo.yaml:12:10: auth.token: {{number.e164}}: the caller's number cannot be used here"]],
    ['a current form outside a forEach', 18, '      phone: "{{number.form}}"', ['templates/demo.yaml:18:14: requests[0].query.phone: {{number.form}}: only a request with forEach.numberForm has a current form']],
    ['a filter script in a JSONPath', 23, '      id: "$..[?(@.id)]"', ['templates/demo.yaml:23:11: requests[0].response.id: a plain JSONPath without ( ) ? @ or ` (no scripts or filters)']],
    ['an id pattern that matches parts of ids', 22, '      idPattern: "[0-9]+"', ['templates/demo.yaml:22:18: requests[0].response.idPattern: must match whole ids: start it with ^ and end it with $']],
    ['a malformed placeholder', 16, '    path: /contacts/{{number.e164', ['templates/demo.yaml:16:11: requests[0].path: malformed placeholder in "/contacts/{{number.e164": write {{number.<form>}}, {{param.<NAME>}} or {{record.id}}, optionally with | odata or | quoted']],
  ])('names the file, line and column of %s', (_what, line, text, expected) => {
    expect(problemsOf(withLine(line, text))).toEqual(expected);
  });

  it('reads the keys of a fallback tier: tier, cache, countries, an XML answer, a quota, a default wait after a 429, fixed custom data', () => {
    const text = VALID.replace('baseUrl: https://crm.example.ch/', 'baseUrl: https://crm.example.ch/\ntier: fallback\ncache: false\ncountries: [CH, LI]')
      .replace('    response:\n', '    format: xml\n    response:\n')
      .replace('      phones: "$.phone"\n', '      phones: "$.phone"\n      link: "$.link[0]._href"\n      customData:\n        Source: { value: "Directory AG" }\n        City: "$.city"\nlimits:\n  quota: { perMonth: 1000 }\nerrors:\n  retryAfterDefaultS: 900\n');
    const { template } = loadTemplateText(text, 'templates/demo.yaml');
    expect(template).toMatchObject({ tier: 'fallback', cache: false, countries: ['CH', 'LI'], limits: { quota: { perMonth: 1000 } }, errors: { retryAfterDefaultS: 900 } });
    expect(template.requests[0]).toMatchObject({ format: 'xml', response: { link: '$.link[0]._href', customData: { Source: { value: 'Directory AG' }, City: '$.city' } } });
    expect(loadTemplateText(VALID, 'templates/demo.yaml').template).toMatchObject({ tier: 'primary', cache: true });
    expect(loadTemplateText(VALID, 'templates/demo.yaml').template.requests[0]!.format).toBe('json');
    expect(problemsOf(text.replace('tier: fallback', 'tier: last'))).toEqual(['templates/demo.yaml:6:7: tier: must be one of "primary", "fallback"']);
    expect(problemsOf(text.replace('countries: [CH, LI]', 'countries: [ch]'))).toEqual(['templates/demo.yaml:8:13: countries[0]: must match pattern "^[A-Z]{2}$"']);
    expect(problemsOf(text.replace('link: "$.link[0]._href"', 'link: "$..[?(@.rel)]"'))).toEqual([
      'templates/demo.yaml:31:13: requests[0].response.link: a plain JSONPath without ( ) ? @ or ` (no scripts or filters)',
    ]);
    expect(problemsOf(text.replace('quota: { perMonth: 1000 }', 'quota: { perWeek: 1000 }'))[0]).toMatch(/limits\.quota\.perWeek: unknown key/);
  });

  it('names the line of a YAML syntax error', () => {
    const [problem] = problemsOf(withLine(15, '    method: [GET'));
    expect(problem).toMatch(/^templates\/demo\.yaml:1[56]:\d+: /);
  });

  it('reads the shipped templates', () => {
    const loaded = loadTemplates(undefined);
    expect(loaded.map((t) => t.template.id)).toContain('pipedrive');
    expect(loaded.find((t) => t.template.id === 'pipedrive')!.template.file).toMatch(/templates[/\\]pipedrive\.yaml$/);
  });

  describe('folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-spec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('adds the templates of TEMPLATES_DIR to the shipped ones, and refuses one that takes a shipped id', () => {
      writeFileSync(join(dir, 'demo.yaml'), VALID);
      writeFileSync(join(dir, '.hidden.yaml'), 'not: a template');
      writeFileSync(join(dir, 'notes.txt'), 'not read');
      // The shipped ones first (whichever are shipped), then the folder's.
      expect(loadTemplates(dir).map((t) => t.template.id)).toEqual([...loadTemplates(undefined).map((t) => t.template.id), 'demo']);
      writeFileSync(join(dir, 'mine.yaml'), VALID.replace('id: demo', 'id: pipedrive').replace('prefix: DEMO', 'prefix: MINE'));
      expect(() => loadTemplates(dir)).toThrow(/mine\.yaml:1:1: the id "pipedrive" is already taken by .*templates[/\\]pipedrive\.yaml/);
      rmSync(join(dir, 'mine.yaml'));
    });

    it('refuses a TEMPLATES_DIR that is not there, and reads no shipped folder that is missing', () => {
      expect(() => loadTemplates(join(dir, 'missing'))).toThrow('the templates folder cannot be read');
      expect(loadTemplates(undefined, join(dir, 'missing'))).toEqual([]);
    });

    it("refuses a template that takes a built-in source's id or prefix", () => {
      const [demo] = loadTemplates(undefined, dir);
      expect(() => checkTemplatesBeside([{ id: 'hubspot', keyPrefix: 'DEMO' }], [demo!])).toThrow(`the prefix "DEMO" is the built-in source hubspot's: choose another`);
      expect(() => checkTemplatesBeside([{ id: 'hubspot', keyPrefix: 'HUBSPOT' }], [demo!])).not.toThrow();
    });
  });

  it('ships its templates from the repository root', () => {
    expect(SHIPPED_TEMPLATES_DIR).toMatch(/[/\\]templates$/);
  });
});
