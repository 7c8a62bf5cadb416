import { IsOptional, IsString } from 'class-validator';
import { Secret } from '../config/settings-validation';
import type { LookupSource } from '../core/source';
import type { Tenant, TenantSource } from '../tenants/tenant';
import { HIDDEN, shownValue, tenantViews } from './tenant-views';

class ExampleSettings {
  @IsString()
  EXAMPLE_URL: string;

  @Secret()
  @IsString()
  EXAMPLE_SIGNATURE: string;

  @IsOptional()
  @IsString()
  EXAMPLE_ACCESS_TOKEN?: string;

  @IsOptional()
  @IsString()
  EXAMPLE_USERNAME?: string;
}

const source = { id: 'example', keyPrefix: 'EXAMPLE', settingsSchema: ExampleSettings } as unknown as LookupSource;

function settings(values: Partial<ExampleSettings>): ExampleSettings {
  return Object.assign(new ExampleSettings(), values);
}

describe('the tenants as the console shows them', () => {
  it('hides a value its schema marks secret, and one whose name looks like a secret', () => {
    expect(shownValue(ExampleSettings, 'EXAMPLE_SIGNATURE', 'sig-123')).toBe(HIDDEN);
    expect(shownValue(ExampleSettings, 'EXAMPLE_ACCESS_TOKEN', 'pat-123')).toBe(HIDDEN);
    expect(shownValue(undefined, 'SOME_PASSWORD', 'hunter2')).toBe(HIDDEN);
    expect(shownValue(undefined, 'OTHER_CLIENT_SECRET', 'x')).toBe(HIDDEN);
    expect(shownValue(ExampleSettings, 'EXAMPLE_USERNAME', 'anna')).toBe('anna');
    expect(shownValue(ExampleSettings, 'EXAMPLE_USERNAME', undefined)).toBe('(not set)');
    expect(shownValue(ExampleSettings, 'EXAMPLE_USERNAME', 12)).toBe('12');
  });

  it('hides the user and password a URL carries', () => {
    expect(shownValue(ExampleSettings, 'EXAMPLE_URL', 'https://anna:secret@crm.example.ch/api')).toBe(`https://${HIDDEN}@crm.example.ch/api`);
    expect(shownValue(ExampleSettings, 'EXAMPLE_URL', 'https://crm.example.ch/api?x=1')).toBe('https://crm.example.ch/api?x=1');
  });

  it('lists every tenant with its sources, no secret in sight, and the files refused without a tenant', () => {
    const tenantSource: TenantSource = {
      source,
      settings: settings({ EXAMPLE_URL: 'https://user:pw@crm.example.ch', EXAMPLE_SIGNATURE: 'sig-secret', EXAMPLE_ACCESS_TOKEN: 'token-secret', EXAMPLE_USERNAME: 'anna' }),
      displayName: 'Example CRM',
      logoUrl: undefined,
      maxRps: 5,
    };
    const tenant = {
      id: 'acme', file: '/t/acme.env', authHeader: 'x-execution-token', tokenDigests: [Buffer.alloc(32), Buffer.alloc(32)], defaultRegion: 'CH',
      responseCase: 'pascal', sourceOrder: ['example'], customDataFields: [], sources: [tenantSource], timezone: 'Europe/Zurich', language: 'en',
      workflowDefaultSource: undefined, cache: { ttlMs: 60_000, missTtlMs: 30_000, staleMs: 0 }, recordIdKey: undefined,
    } as unknown as Tenant;
    const appliedAt = new Date(0);
    const refused = { at: new Date(1000), problem: 'TOKEN: missing' };
    const views = tenantViews(
      [tenant],
      new Map([
        ['acme', { file: '/t/acme.env', appliedAt }],
        ['broken', { file: '/t/broken.env', refused }],
      ]),
      () => ({ state: 'ready', at: appliedAt }),
    );
    expect(views.map((view) => view.id)).toEqual(['acme', 'broken']);
    expect(views[1]).toEqual({ id: 'broken', file: '/t/broken.env', appliedAt: undefined, refused, sources: [] });
    const shown = JSON.stringify(views[0]);
    for (const secret of ['sig-secret', 'token-secret', 'pw@']) expect(shown).not.toContain(secret);
    expect(views[0]!.settings).toContainEqual({ key: 'TOKEN', value: `2 tokens ${HIDDEN}` });
    expect(views[0]!.sources[0]!.settings).toEqual([
      { key: 'EXAMPLE_ACCESS_TOKEN', value: HIDDEN },
      { key: 'EXAMPLE_SIGNATURE', value: HIDDEN },
      { key: 'EXAMPLE_URL', value: `https://${HIDDEN}@crm.example.ch` },
      { key: 'EXAMPLE_USERNAME', value: 'anna' },
      { key: 'EXAMPLE_MAX_RPS', value: '5' },
    ]);
    expect(views[0]!.sources[0]!.readiness).toEqual({ state: 'ready', at: appliedAt });
  });
});
