import { Logger } from '@nestjs/common';
import { IsOptional, IsUrl } from 'class-validator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedGlobalSettings } from '../config/global-settings';
import type { LookupSource } from '../core/source';
import { eventually } from '../../test/support/eventually';
import { SIGN_INS_FOR_REQUESTS } from '../resilience/paced-queue';
import { TenantRegistry, WARM_UPS_AT_ONCE } from './tenant-registry';

class CrmSettings {
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  CRM_URL?: string;
}

/** A source that records its attachments and holds every warm-up until the test lets it go. */
function recordingSource() {
  const attached: CrmSettings[] = [];
  const warming: Array<() => void> = [];
  let loopTurns = 0;
  const turnsAtAttach: number[] = [];
  const source: LookupSource<CrmSettings> = {
    id: 'crm',
    keyPrefix: 'CRM',
    defaultDisplayName: 'Some CRM',
    badge: { letters: 'CR', color: '#000000' },
    recordIds: {},
    settingsSchema: CrmSettings,
    isEnabled: (settings) => settings.CRM_URL !== undefined,
    attachTenant: async ({ settings }) => {
      attached.push(settings);
      turnsAtAttach.push(loopTurns);
    },
    warmUp: () => new Promise<void>((resolve) => warming.push(resolve)),
    search: async () => [],
  };
  /** Counts turns of the event loop (one `setImmediate` each) until stopped. */
  const countTurns = (): (() => void) => {
    let running = true;
    const turn = (): void => {
      if (!running) return;
      loopTurns += 1;
      setImmediate(turn);
    };
    setImmediate(turn);
    return () => (running = false);
  };
  return { source, attached, warming, turnsAtAttach, countTurns };
}

describe('TenantRegistry with many tenants', () => {
  let dir: string;
  let registry: TenantRegistry | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    registry?.onModuleDestroy();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  function writeTenants(count: number, url = 'https://crm.example.ch'): void {
    for (let i = 0; i < count; i += 1) writeFileSync(join(dir, `t${i}.env`), `TOKEN=token-of-tenant-${i}\nCRM_URL=${url}\n`);
  }

  async function start(source: LookupSource<CrmSettings>): Promise<TenantRegistry> {
    registry = new TenantRegistry({ TENANTS_DIR: dir } as ResolvedGlobalSettings, [source]);
    await registry.onModuleInit();
    return registry;
  }

  it(`warms up ${WARM_UPS_AT_ONCE} sources at a time, never more, and every one in the end`, async () => {
    const crm = recordingSource();
    writeTenants(35);
    const started = await start(crm.source);
    expect(started.all()).toHaveLength(35);
    let released = 0;
    const inFlight = (): number => crm.warming.length - released;
    while (released < 35) {
      await eventually(() => inFlight() === Math.min(WARM_UPS_AT_ONCE, 35 - released));
      expect(inFlight()).toBeLessThanOrEqual(WARM_UPS_AT_ONCE);
      crm.warming[released++]!();
    }
    await eventually(() => started.all().every((tenant) => started.readinessOf(tenant.sources[0]!)?.state === 'ready'));
    expect(crm.warming).toHaveLength(35);
  });

  it('lets the event loop turn while it builds the tenants of a large reload', async () => {
    const crm = recordingSource();
    writeTenants(1);
    await start(crm.source);
    writeTenants(400, 'https://crm-moved.example.ch');
    crm.turnsAtAttach.length = 0;
    const stop = crm.countTurns();
    await registry!.reload({ readAll: true });
    stop();
    expect(crm.turnsAtAttach).toHaveLength(400);
    // Between the first tenant built and the last, the loop turned (about one turn per 10 tenants).
    expect(crm.turnsAtAttach.at(-1)! - crm.turnsAtAttach[0]!).toBeGreaterThanOrEqual(30);
  });

  it('rebuilds only the tenant whose file changed; the others keep their settings, and with them their clients', async () => {
    const crm = recordingSource();
    writeTenants(300);
    const started = await start(crm.source);
    const before = new Map(started.all().map((tenant) => [tenant.id, tenant.sources[0]!.settings]));
    crm.attached.length = 0;
    writeFileSync(join(dir, 't123.env'), 'TOKEN=token-of-tenant-123\nCRM_URL=https://crm-new.example.ch\n');
    await started.reload();
    expect(crm.attached).toEqual([expect.objectContaining({ CRM_URL: 'https://crm-new.example.ch' })]);
    const changed = started.all().filter((tenant) => tenant.sources[0]!.settings !== before.get(tenant.id));
    expect(changed.map((tenant) => tenant.id)).toEqual(['t123']);
  });

  it('applies a file the watcher announces without reading the others, and a removed one by reading the folder', async () => {
    const crm = recordingSource();
    writeTenants(300);
    const started = await start(crm.source);
    const urlOf = (id: string): string | undefined => (started.all().find((tenant) => tenant.id === id)?.sources[0]?.settings as CrmSettings | undefined)?.CRM_URL;
    // Changed before the watching starts: nobody announces it, so only a reading of the folder finds it.
    writeFileSync(join(dir, 't7.env'), 'TOKEN=token-of-tenant-7\nCRM_URL=https://unannounced.example.ch\n');
    started.onApplicationBootstrap();
    writeFileSync(join(dir, 't5.env'), 'TOKEN=token-of-tenant-5\nCRM_URL=https://announced.example.ch\n');
    await eventually(() => urlOf('t5') === 'https://announced.example.ch');
    expect(urlOf('t7')).toBe('https://crm.example.ch');

    rmSync(join(dir, 't9.env'));
    await eventually(() => urlOf('t9') === undefined);
    expect(urlOf('t7')).toBe('https://unannounced.example.ch');
    expect(started.all()).toHaveLength(299);
  });

  it("makes way for the sign-ins lookups are waiting for: fewer warm-ups at once while they run", async () => {
    const crm = recordingSource();
    writeTenants(20);
    let lookupSignedIn!: () => void;
    const lookupSignIn = SIGN_INS_FOR_REQUESTS.track(new Promise<void>((resolve) => (lookupSignedIn = resolve)));
    await start(crm.source);
    await eventually(() => crm.warming.length === WARM_UPS_AT_ONCE - 1);
    lookupSignedIn();
    await lookupSignIn;
    await eventually(() => crm.warming.length === WARM_UPS_AT_ONCE);
    crm.warming.forEach((release) => release());
  });
});
