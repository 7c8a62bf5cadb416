import type { HttpService } from '@nestjs/axios';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { LookupSource } from '../core/source';
import { loadTemplateText, SHIPPED_TEMPLATES_DIR } from '../sources/template/template-loader';
import { TemplateSource } from '../sources/template/template.source';
import { parseTenantFile } from './tenant-file';

/** The shipped Pipedrive template, as the gateway loads it; no request is sent by these tests. */
const pipedrive = new TemplateSource(
  loadTemplateText(readFileSync(join(SHIPPED_TEMPLATES_DIR, 'pipedrive.yaml'), 'utf8'), 'templates/pipedrive.yaml'),
  undefined as unknown as HttpService,
);
const sources: LookupSource[] = [pipedrive];
const TOKEN = 'PIPEDRIVE_API_TOKEN=659c9fddb16335e48cc67114694b52074e812e03';

const parse = (content: string) => parseTenantFile('acme', '/t/acme.env', `TOKEN=secret-token-1\n${content}`, sources);
const problems = (content: string) => parse(content).problems.map((p) => `${p.key}: ${p.problem}`);

describe('the tenant keys of a template', () => {
  it('turns the template on with TEMPLATES and reads its keys, with the base URL defaulting to the real service', () => {
    const { tenant } = parse(`TEMPLATES=Pipedrive\n${TOKEN}\nPIPEDRIVE_COMPANY_DOMAIN=acme\n`);
    expect(tenant?.sources.map((s) => s.source.id)).toEqual(['pipedrive']);
    expect(tenant?.sources[0]).toMatchObject({
      displayName: 'Pipedrive',
      settings: { PIPEDRIVE_BASE_URL: 'https://api.pipedrive.com', PIPEDRIVE_COMPANY_DOMAIN: 'acme', PIPEDRIVE_API_TOKEN: '659c9fddb16335e48cc67114694b52074e812e03' },
    });
  });

  it('takes another base URL, and the core keys every source has (name, logo, budget)', () => {
    const { tenant } = parse(`TEMPLATES=pipedrive\n${TOKEN}\nPIPEDRIVE_BASE_URL=http://127.0.0.1:9999/\nPIPEDRIVE_NAME=Sales\nPIPEDRIVE_MAX_RPS=2\n`);
    expect(tenant?.sources[0]).toMatchObject({ displayName: 'Sales', maxRps: 2, settings: { PIPEDRIVE_BASE_URL: 'http://127.0.0.1:9999' } });
  });

  it('leaves the template off without TEMPLATES', () => {
    expect(parse('').tenant?.sources).toEqual([]);
  });

  it('names a missing required key, a value of the wrong form (hiding secrets), and a misspelt key', () => {
    expect(problems('TEMPLATES=pipedrive\n')).toEqual([
      'PIPEDRIVE_API_TOKEN (not set): missing: template pipedrive (templates/pipedrive.yaml) needs it (the API token of a Pipedrive user (Personal preferences > API), letters and digits)',
    ]);
    expect(problems(`TEMPLATES=pipedrive\nPIPEDRIVE_API_TOKEN=not a token!\n`)).toEqual([
      'PIPEDRIVE_API_TOKEN (value hidden): must be the API token of a Pipedrive user (Personal preferences > API), letters and digits',
    ]);
    expect(problems(`TEMPLATES=pipedrive\n${TOKEN}\nPIPEDRIVE_API_TOKN=x\n`)).toEqual(['PIPEDRIVE_API_TOKN: unknown key: did you mean PIPEDRIVE_API_TOKEN?']);
    expect(problems(`TEMPLATES=pipedrive\n${TOKEN}\nPIPEDRIVE_BASE_URL=not-a-url\n`)).toEqual([
      'PIPEDRIVE_BASE_URL="not-a-url": must be an absolute http(s) URL (default https://api.pipedrive.com)',
    ]);
  });

  it('refuses a template id that is not loaded, and keys of a template left out of TEMPLATES', () => {
    expect(problems(`TEMPLATES=pipedrive,zoho\n${TOKEN}\n`)).toEqual([
      'TEMPLATES="pipedrive,zoho": names unknown template(s) zoho; known templates: pipedrive (the shipped ones in templates/ and those of TEMPLATES_DIR; see docs/templates.md)',
    ]);
    expect(problems(`${TOKEN}\n`)).toEqual(['PIPEDRIVE_API_TOKEN (value hidden): set, but pipedrive is not in TEMPLATES: add it (TEMPLATES=pipedrive) or remove this key']);
    expect(problems('TEMPLATES=pipe drive\n')).toEqual(['TEMPLATES="pipe drive": must list template ids, comma-separated, e.g. pipedrive']);
  });

  it("lets CRM_ORDER name a template's id like any source's", () => {
    expect(parse(`TEMPLATES=pipedrive\n${TOKEN}\nCRM_ORDER=pipedrive\n`).tenant?.sourceOrder).toEqual(['pipedrive']);
  });
});

describe('the quota keys (<PREFIX>_QUOTA_PER_DAY, _PER_MONTH) of a source with a quota of its own (search.ch)', () => {
  const searchch = new TemplateSource(
    loadTemplateText(readFileSync(join(SHIPPED_TEMPLATES_DIR, 'searchch.yaml'), 'utf8'), 'templates/searchch.yaml'),
    undefined as unknown as HttpService,
  );
  const parseWith = (content: string) => parseTenantFile('acme', '/t/acme.env', `TOKEN=secret-token-1\nTEMPLATES=searchch\nSEARCHCH_KEY=8e8a84fd0f10d3b44920e49bc3b06a37\n${content}`, [searchch]);

  it("takes the template's quota (1000 a month) unless the tenant sets its own, and 0 lifts a cap", () => {
    expect(parseWith('').tenant?.sources[0]?.quota).toEqual({ perMonth: 1000 });
    expect(parseWith('SEARCHCH_QUOTA_PER_DAY=20\n').tenant?.sources[0]?.quota).toEqual({ perDay: 20, perMonth: 1000 });
    expect(parseWith('SEARCHCH_QUOTA_PER_MONTH=5000\n').tenant?.sources[0]?.quota).toEqual({ perMonth: 5000 });
    expect(parseWith('SEARCHCH_QUOTA_PER_MONTH=0\n').tenant?.sources[0]?.quota).toBeUndefined();
  });

  it('names a quota that is not a whole number of searches', () => {
    expect(parseWith('SEARCHCH_QUOTA_PER_DAY=ten\nSEARCHCH_QUOTA_PER_MONTH=-1\n').problems.map((p) => `${p.key}: ${p.problem}`)).toEqual([
      'SEARCHCH_QUOTA_PER_DAY="ten": must be the most searches sent to this source per calendar day (0 = no cap)',
      'SEARCHCH_QUOTA_PER_MONTH="-1": must be the most searches sent to this source per calendar month (0 = no cap)',
    ]);
  });

  it('is a fallback tier, never cached, asked for Swiss numbers only', () => {
    expect(searchch).toMatchObject({ tier: 'fallback', cacheable: false, quota: { perMonth: 1000 } });
  });
});
