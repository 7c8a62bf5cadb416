import { getMetadataStorage, IsOptional, IsUrl, MinLength } from 'class-validator';
import type { LookupSource } from '../core/source';
import { Secret } from '../config/settings-validation';
import { digestToken, parseTenantFile } from './tenant-file';

class CrmSettings {
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'must be the CRM URL' })
  CRM_URL?: string;

  @Secret()
  @IsOptional()
  @MinLength(10, { message: 'must be the 10+ character API secret' })
  CRM_SECRET?: string;
}

const crm: LookupSource<CrmSettings> = {
  id: 'crm',
  keyPrefix: 'CRM',
  defaultDisplayName: 'Some CRM',
  badge: { letters: 'CR', color: '#000000' },
  recordIds: {},
  settingsSchema: CrmSettings,
  isEnabled: (s) => s.CRM_URL !== undefined,
  search: async () => [],
};
const other = { ...crm, id: 'other', keyPrefix: 'OTHER', settingsSchema: class {} } as unknown as LookupSource;
const sources = [crm, other] as LookupSource[];

const parse = (content: string) => parseTenantFile('acme', '/t/acme.env', content, sources);
const problems = (content: string) => parse(content).problems.map((p) => `${p.key}: ${p.problem}`);

describe('parseTenantFile', () => {
  it('reads the core keys with their defaults', () => {
    const { tenant } = parse('TOKEN=secret-token-1\n');
    expect(tenant).toMatchObject({
      id: 'acme',
      file: '/t/acme.env',
      authHeader: 'x-execution-token',
      defaultRegion: 'CH',
      responseCase: 'pascal',
      sourceOrder: ['crm', 'other'],
      customDataFields: ['CustomData', 'CustomFields'],
      sources: [],
      timezone: 'Europe/Zurich',
      language: 'en',
      workflowDefaultSource: undefined,
    });
    expect(tenant!.tokenDigests).toEqual([digestToken('secret-token-1')]);
  });

  it('reads several tokens, a custom header, region and casing', () => {
    const { tenant } = parse(
      'TOKEN=first-token-1, second-token-2\nAUTH_HEADER=X-Api-Key\nDEFAULT_REGION=de\nRESPONSE_CASE=Camel\nCUSTOM_DATA_FIELDS=CustomFields\n',
    );
    expect(tenant).toMatchObject({ authHeader: 'x-api-key', defaultRegion: 'DE', responseCase: 'camel', customDataFields: ['CustomFields'] });
    expect(tenant!.tokenDigests).toEqual([digestToken('first-token-1'), digestToken('second-token-2')]);
  });

  it('enables a source when its keys say so, with its display overrides', () => {
    const { tenant } = parse('TOKEN=secret-token-1\nCRM_URL=http://127.0.0.1:9/\nCRM_NAME=Our CRM\nCRM_LOGO_URL=https://x.example/logo.png\n');
    expect(tenant!.sources).toEqual([
      { source: crm, settings: expect.objectContaining({ CRM_URL: 'http://127.0.0.1:9/' }), displayName: 'Our CRM', logoUrl: 'https://x.example/logo.png' },
    ]);
  });

  it('reads the workflow keys', () => {
    const { tenant } = parse('TOKEN=secret-token-1\nCRM_URL=http://crm.local\nTIMEZONE=America/New_York\nLANGUAGE=FR\nWORKFLOW_DEFAULT_CRM=CRM\n');
    expect(tenant).toMatchObject({ timezone: 'America/New_York', language: 'fr', workflowDefaultSource: 'crm' });
  });

  it('puts CRM_ORDER first and the other sources after', () => {
    expect(parse('TOKEN=secret-token-1\nCRM_ORDER=other\n').tenant!.sourceOrder).toEqual(['other', 'crm']);
  });

  it.each([
    ['', 'TOKEN (not set): missing'],
    ['TOKEN=short', 'TOKEN (value hidden): must be one or more tokens of at least 8 characters'],
    ['TOKEN=secret-token-1\nTOKENS=x', 'TOKENS: unknown key'],
    ['TOKEN=secret-token-1\nCRM_URLL=http://x', 'CRM_URLL: unknown key'],
    ['TOKEN=secret-token-1\nDEFAULT_REGION=XX', 'DEFAULT_REGION="XX": must be a two-letter ISO 3166 country code'],
    ['TOKEN=secret-token-1\nRESPONSE_CASE=snake', 'RESPONSE_CASE="snake": must be pascal'],
    ['TOKEN=secret-token-1\nAUTH_HEADER=X Token', 'AUTH_HEADER="X Token": must be an HTTP header name'],
    ...['X-Request-Id', 'Host', 'Cookie', 'Content-Type', 'Transfer-Encoding', 'Connection', 'Forwarded', 'X-Forwarded-For', 'x-real-ip'].map(
      (header): [string, string] => [`TOKEN=secret-token-1\nAUTH_HEADER=${header}`, `AUTH_HEADER="${header}": names a header that proxies, browsers or the gateway use`],
    ),
    ['TOKEN=secret-token-1\nCRM_ORDER=crm,salesforse', 'names unknown source(s) salesforse; known sources: crm, other'],
    ['TOKEN=secret-token-1\nCUSTOM_DATA_FIELDS=Extra', 'CUSTOM_DATA_FIELDS="Extra": must be CustomData, CustomFields, or both'],
    ['TOKEN=secret-token-1\nCRM_URL=not-a-url', 'CRM_URL="not-a-url": must be the CRM URL'],
    ['TOKEN=secret-token-1\nTIMEZONE=Zurich', 'TIMEZONE="Zurich": must be an IANA time zone such as Europe/Zurich'],
    ['TOKEN=secret-token-1\nLANGUAGE=es', 'LANGUAGE="es": must be one of en, de, fr, it'],
    ['TOKEN=secret-token-1\nWORKFLOW_DEFAULT_CRM=crm', 'WORKFLOW_DEFAULT_CRM="crm": must name a source enabled for this tenant (enabled: none)'],
    ['TOKEN=secret-token-1\nCRM_LOGO_URL=logo.png', 'CRM_LOGO_URL="logo.png": must be an absolute http(s) URL'],
  ])('refuses %j naming the key and the problem', (content, expected) => {
    expect(parse(content).tenant).toBeUndefined();
    expect(problems(content).join('\n')).toContain(expected);
  });

  it('never repeats a secret in its problems', () => {
    const text = problems('TOKEN=bad token with spaces\nCRM_URL=x\nCRM_SECRET=\nTYPO=1').join('\n');
    expect(text).toContain('TOKEN (value hidden)');
    expect(text).not.toContain('bad token');
  });

  it('hides values of keys a source marks secret', () => {
    const text = problems('TOKEN=secret-token-1\nCRM_SECRET=hunter2\nCRM_URL=http://crm.local').join('\n');
    expect(text).toContain('CRM_SECRET (value hidden): must be the 10+ character API secret');
    expect(text).not.toContain('hunter2');
  });

  it('refuses a key given twice, naming both lines, and says how to rotate a token', () => {
    expect(problems('TOKEN=secret-token-1\n# the new one\nTOKEN=secret-token-2\nCRM_URL=https://crm.example.ch\n')).toEqual([
      'TOKEN: given 2 times (lines 1, 3); keep one line: to rotate, list both tokens in it, comma-separated (TOKEN=new-token,old-token)',
    ]);
    expect(problems('TOKEN=secret-token-1\nCRM_URL=https://a.example.ch\r\nCRM_URL=https://b.example.ch\r\n')).toEqual([
      'CRM_URL: given 2 times (lines 2, 3); keep one line',
    ]);
  });

  it('names the key an unknown one is likely a misspelling of', () => {
    expect(problems('TOKEN=secret-token-1\nCRM_ULR=https://crm.example.ch\nDEFAULT_REGOIN=DE\nFOO=bar\n')).toEqual([
      'CRM_ULR: unknown key: did you mean CRM_URL?',
      'DEFAULT_REGOIN: unknown key: did you mean DEFAULT_REGION?',
      'FOO: unknown key (check its spelling; see tenants/example.env.example)',
    ]);
  });
});

describe('parseTenantFile at scale', () => {
  /** How many validation rules class-validator holds, for every class it has seen. */
  const rulesKept = (): number => {
    const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, unknown[]> };
    return [...storage.validationMetadatas.values()].reduce((total, rules) => total + rules.length, 0);
  };

  it('adds no validation rules however many files it reads: the same schemas serve every file', () => {
    parse('TOKEN=secret-token-1\nCRM_URL=https://crm.example.ch\nCRM_NAME=Our CRM\n');
    const before = rulesKept();
    for (let i = 0; i < 50; i += 1) parse(`TOKEN=secret-token-${i + 10}\nCRM_URL=https://crm.example.ch\nCRM_NAME=Our CRM\n`);
    expect(rulesKept()).toBe(before);
  });
});
