import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TenantRegistry } from '../../src/tenants/tenant-registry';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { eventually } from '../support/eventually';
import { PHONE_BOOK_CSV } from '../support/phone-book';
import { startTestApp, type TestApp } from '../support/test-app';

const ANNA = '41789072228';

/**
 * Lookups sent one after another until stopped, each with the token `token()` names at the time; any
 * answer other than 200 with Anna's card is kept, so a test can say no lookup failed while it worked.
 */
function steadyLookups(gateway: TestApp, token: () => string): { stop(): Promise<{ sent: number; failures: string[] }> } {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      const used = token();
      const response = await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', used);
      sent++;
      const names = Array.isArray(response.body) ? response.body.map((c: { Name: string }) => c.Name) : [];
      if (response.status !== 200 || !names.includes('Anna Muster')) failures.push(`${used}: ${response.status} ${JSON.stringify(response.body)}`);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { sent, failures };
    },
  };
}

describe('tenant files reloaded without a restart (e2e)', () => {
  let gateway: TestApp;
  const write = (name: string, content: string): void => writeFileSync(join(gateway.dir, name), content);
  const status = async (token: string): Promise<number> => (await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', token)).status;
  const warnings = (text: string): Array<Record<string, unknown>> => gateway.logs.lines.filter((l) => l.level === 40 && String(l.msg).includes(text));

  beforeEach(async () => {
    gateway = await startTestApp({
      files: {
        'acme.env': 'TOKEN=acme-old-token\nDIRECTORY_FILE=book.csv\n',
        'globex.env': 'TOKEN=globex-token-1\nDIRECTORY_FILE=book.csv\n',
        'book.csv': PHONE_BOOK_CSV,
      },
    });
  });
  afterEach(() => gateway.close());

  it('rotates a token: old and new both work while both are listed, the old one is refused once removed; no lookup fails meanwhile', async () => {
    let acmeToken = 'acme-old-token';
    const acme = steadyLookups(gateway, () => acmeToken);
    const globex = steadyLookups(gateway, () => 'globex-token-1');

    write('acme.env', 'TOKEN=acme-new-token,acme-old-token\nDIRECTORY_FILE=book.csv\n');
    await eventually(async () => (await status('acme-new-token')) === 200);
    expect(await status('acme-old-token')).toBe(200);

    acmeToken = 'acme-new-token';
    write('acme.env', 'TOKEN=acme-new-token\nDIRECTORY_FILE=book.csv\n');
    await eventually(async () => (await status('acme-old-token')) === 401);
    expect(await status('acme-new-token')).toBe(200);

    const [acmeRun, globexRun] = [await acme.stop(), await globex.stop()];
    expect(acmeRun.failures).toEqual([]);
    expect(globexRun.failures).toEqual([]);
    expect(acmeRun.sent).toBeGreaterThan(0);
    expect(globexRun.sent).toBeGreaterThan(0);
    expect(gateway.logs.find((l) => l.msg === 'Tenant acme reloaded from acme.env (sources: directory)')).toBeDefined();
  });

  it('adds a tenant when its file appears, and removes it when its file goes', async () => {
    const globex = steadyLookups(gateway, () => 'globex-token-1');
    expect(await status('initech-token-1')).toBe(401);

    write('initech.env', 'TOKEN=initech-token-1\nDIRECTORY_FILE=book.csv\n');
    await eventually(async () => (await status('initech-token-1')) === 200);
    expect(gateway.logs.find((l) => l.msg === 'Tenant initech added from initech.env (sources: directory)')).toBeDefined();

    rmSync(join(gateway.dir, 'initech.env'));
    await eventually(async () => (await status('initech-token-1')) === 401);
    expect(gateway.logs.find((l) => l.msg === 'Tenant initech removed (its file is gone)')).toBeDefined();

    expect((await globex.stop()).failures).toEqual([]);
  });

  it('keeps the previous settings of a file that no longer validates, and says why once (file, key, problem)', async () => {
    const acme = steadyLookups(gateway, () => 'acme-old-token');
    write('acme.env', 'TOKEN=acme-old-token\nDIRECTORY_FILE=book.csv\nDEFAULT_REGION=Swiss\nDIRECTROY_NAME=Book\n');
    await eventually(() => warnings('acme.env has invalid settings').length > 0);
    const [warning] = warnings('acme.env has invalid settings');
    expect(warning?.msg).toContain('DEFAULT_REGION="Swiss": must be a two-letter ISO 3166 country code');
    expect(warning?.msg).toContain('DIRECTROY_NAME: unknown key: did you mean DIRECTORY_NAME?');
    expect(warning?.msg).toContain('Not applied: tenant acme keeps its previous settings until the file is fixed.');

    // Read again on demand (as SIGHUP does) and by the folder's rescans: still the one line.
    await gateway.app.get(TenantRegistry).reload({ readAll: true });
    await gateway.app.get(TenantRegistry).reload({ readAll: true });
    expect(warnings('acme.env has invalid settings')).toHaveLength(1);
    expect(await status('acme-old-token')).toBe(200);

    write('acme.env', 'TOKEN=acme-old-token\nDIRECTORY_FILE=book.csv\nDIRECTORY_NAME=Book\n');
    await eventually(async () => {
      const response = await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', 'acme-old-token');
      return response.body[0]?.CrmName === 'Book';
    });
    expect((await acme.stop()).failures).toEqual([]);
  });

  it('refuses a file whose token another tenant uses, and a new file that does not validate, naming the file', async () => {
    write('initech.env', 'TOKEN=globex-token-1\n');
    await eventually(() => warnings('initech.env has invalid settings').length > 0);
    expect(warnings('initech.env has invalid settings')[0]?.msg).toMatch(/the same token is also used by tenant globex[\s\S]*tenant initech is not added/);
    expect(await status('globex-token-1')).toBe(200);

    write('hooli.env', 'TOKEN=hooli-token-1\nTOKEN=hooli-token-2\n');
    await eventually(() => warnings('hooli.env has invalid settings').length > 0);
    expect(warnings('hooli.env has invalid settings')[0]?.msg).toContain('TOKEN: given 2 times (lines 1, 2); keep one line: to rotate, list both tokens in it');
    expect(await status('hooli-token-1')).toBe(401);
  });

  it('keeps a tenant whose phone book cannot be loaded any more as it was', async () => {
    write('acme.env', 'TOKEN=acme-old-token\nDIRECTORY_FILE=missing.csv\n');
    await eventually(() => warnings('acme.env has invalid settings').length > 0);
    expect(warnings('acme.env has invalid settings')[0]?.msg).toMatch(/DIRECTORY_FILE="missing.csv": cannot load \S*missing\.csv: no such file/);
    expect(await status('acme-old-token')).toBe(200);
  });
  it('adds a tenant once the phone book it names arrives, and forgets a refused file that is removed', async () => {
    const registry = gateway.app.get(TenantRegistry);
    write('initech.env', 'TOKEN=initech-token-1\nDIRECTORY_FILE=initech.csv\n');
    await registry.reload();
    expect(warnings('initech.env has invalid settings')[0]?.msg).toMatch(/DIRECTORY_FILE="initech.csv": cannot load/);
    expect(registry.fileStatuses().get('initech')?.refused).toBeDefined();

    write('initech.csv', PHONE_BOOK_CSV);
    await registry.reload(); // the file itself did not change: what it names did
    expect(await status('initech-token-1')).toBe(200);
    expect(registry.fileStatuses().get('initech')?.appliedAt).toBeInstanceOf(Date);
    expect(registry.fileStatuses().get('initech')?.refused).toBeUndefined();

    write('hooli.env', 'TOKEN=x\n');
    await registry.reload();
    expect(registry.fileStatuses().has('hooli')).toBe(true);
    rmSync(join(gateway.dir, 'hooli.env'));
    await registry.reload();
    expect(registry.fileStatuses().has('hooli')).toBe(false);
  });

  it('applies a file refused for a token another tenant used, once that tenant lets the token go', async () => {
    const registry = gateway.app.get(TenantRegistry);
    write('initech.env', 'TOKEN=acme-old-token\nDIRECTORY_FILE=book.csv\n');
    await registry.reload();
    expect(warnings('initech.env has invalid settings')).toHaveLength(1);
    write('acme.env', 'TOKEN=acme-new-token\nDIRECTORY_FILE=book.csv\n');
    await registry.reload();
    expect(await status('acme-new-token')).toBe(200);
    await registry.reload(); // initech.env is unchanged: tried again because its problem was another file's
    expect(gateway.logs.find((l) => l.msg === 'Tenant initech added from initech.env (sources: directory)')).toBeDefined();
    expect(await status('acme-old-token')).toBe(200); // now initech's
  });

  it('keeps every tenant when the folder disappears (a deploy replacing it, a share not mounted), and says so once', async () => {
    const registry = gateway.app.get(TenantRegistry);
    const away = `${gateway.dir}-away`;
    renameSync(gateway.dir, away);
    try {
      await registry.reload();
      await registry.reload();
      expect(await status('acme-old-token')).toBe(200);
      const errors = gateway.logs.lines.filter((l) => l.level === 50 && String(l.msg).includes('not reloaded (the tenants stay as they are)'));
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toContain('is gone');
    } finally {
      renameSync(away, gateway.dir);
    }
  });
});


describe('a CRM whose settings a reload changes (e2e)', () => {
  const first = new FakeSalesforce();
  const second = new FakeSalesforce();
  beforeAll(async () => {
    await Promise.all([first.start(), second.start()]);
    const anna = second.org.Contact.find((c) => c.LastName === 'Muster')!;
    anna.FirstName = 'Anne';
    anna.Name = 'Anne Muster';
  });
  afterAll(() => Promise.all([first.stop(), second.stop()]));

  const tenant = (fake: FakeSalesforce): string =>
    `TOKEN=acme-token-1\nSALESFORCE_LOGIN_URL=${fake.url}\nSALESFORCE_CLIENT_ID=fake-client-id\nSALESFORCE_CLIENT_SECRET=fake-client-secret\nCACHE_TTL_S=3600\n`;

  it('answers from the new org at once, not from the old one\'s cached answers', async () => {
    const gateway = await startTestApp({ files: { 'acme.env': tenant(first) } });
    try {
      const names = async (): Promise<string[]> =>
        (await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', 'acme-token-1').expect(200)).body.map((c: { Name: string }) => c.Name);
      expect(await names()).toEqual(['Anna Muster']);
      expect(await names()).toEqual(['Anna Muster']); // from the cache, for an hour
      const searchesBefore = first.requestsTo('/search').length;

      writeFileSync(join(gateway.dir, 'acme.env'), tenant(second));
      await eventually(async () => (await names()).includes('Anne Muster'));
      expect(first.requestsTo('/search')).toHaveLength(searchesBefore);
      expect(second.tokensIssued).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  it('keeps what a query still running on the old org finds out of the cache', async () => {
    const gateway = await startTestApp({ files: { 'acme.env': tenant(first) }, env: { LOOKUP_TIMEOUT_MS: '5000' } });
    try {
      const names = async (): Promise<string[]> =>
        (await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', 'acme-token-1').expect(200)).body.map((c: { Name: string }) => c.Name);
      await eventually(() => first.requestsTo('/describe').length > 0); // signed in and read, so the search is the slow part
      first.delayMs = 1500;
      const searches = first.requestsTo('/search').length;
      const inFlight = names();
      await eventually(() => first.requestsTo('/search').length > searches);
      writeFileSync(join(gateway.dir, 'acme.env'), tenant(second));
      await eventually(() => gateway.logs.lines.some((l) => l.msg === 'Tenant acme reloaded from acme.env (sources: salesforce)'));
      expect(await inFlight).toEqual(['Anna Muster']); // answered from the org it asked
      expect(await names()).toEqual(['Anne Muster']);
      expect(await names()).toEqual(['Anne Muster']);
    } finally {
      first.delayMs = 0;
      await gateway.close();
    }
  });

  it('keeps the sign-in when only the token changes', async () => {
    const gateway = await startTestApp({ files: { 'acme.env': tenant(first) } });
    try {
      await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', 'acme-token-1').expect(200);
      const tokens = first.tokensIssued;
      writeFileSync(join(gateway.dir, 'acme.env'), tenant(first).replace('TOKEN=acme-token-1', 'TOKEN=acme-token-2'));
      await eventually(async () => (await gateway.http.get('/lookup').query({ PhoneNumber: ANNA }).set('X-Execution-Token', 'acme-token-2')).status === 200);
      expect(first.tokensIssued).toBe(tokens);
    } finally {
      await gateway.close();
    }
  });
});
