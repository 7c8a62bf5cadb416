import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeHubSpot } from '../fakes/hubspot/fake-hubspot';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';
import { PHONE_BOOK_CSV } from '../support/phone-book';

const CHECK = resolve(__dirname, '../../dist/check.js');

/** `npm run check` as an admin runs it: the built check, in a folder of its own, against these tenant files. */
function runCheck(files: Record<string, string>, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-check-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return new Promise((done) => {
    execFile(process.execPath, [CHECK], { cwd: dir, env: { PATH: process.env.PATH ?? '', TENANTS_DIR: dir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** The table's row for a tenant and source, its columns split. */
const row = (stdout: string, tenant: string, source: string): string | undefined =>
  stdout.split('\n').find((line) => new RegExp(`^${tenant}\\s+${source.replace(/[()]/g, '\\$&')}\\s+`).test(line));

describe('npm run check (e2e)', () => {
  const salesforce = new FakeSalesforce();
  const hubspot = new FakeHubSpot();
  const sugar = new FakeSugar();
  beforeAll(async () => {
    if (!existsSync(CHECK)) throw new Error(`${CHECK} is missing: run \`npm run build\` first (\`npm test\` does)`);
    await Promise.all([salesforce.start(), hubspot.start(), sugar.start()]);
  });
  afterAll(() => Promise.all([salesforce.stop(), hubspot.stop(), sugar.stop()]));

  const crms = (overrides: { hubspotToken?: string; sugarPassword?: string; salesforceSecret?: string } = {}): string =>
    [
      `SALESFORCE_LOGIN_URL=${salesforce.url}`,
      'SALESFORCE_CLIENT_ID=fake-client-id',
      `SALESFORCE_CLIENT_SECRET=${overrides.salesforceSecret ?? 'fake-client-secret'}`,
      `HUBSPOT_ACCESS_TOKEN=${overrides.hubspotToken ?? hubspot.token}`,
      `HUBSPOT_BASE_URL=${hubspot.url}`,
      `SUGAR_URL=${sugar.url}`,
      `SUGAR_USERNAME=${sugar.username}`,
      `SUGAR_PASSWORD=${overrides.sugarPassword ?? sugar.password}`,
      'DIRECTORY_FILE=book.csv',
      '',
    ].join('\n');

  it('signs in to every source of every tenant, reads once, and exits 0 when all is well', async () => {
    const run = await runCheck({ 'acme.env': `TOKEN=acme-token-1\n${crms()}`, 'book.csv': PHONE_BOOK_CSV });
    expect(run.stdout).toMatch(/^TENANT\s+SOURCE\s+RESULT$/m);
    for (const source of ['salesforce', 'hubspot', 'sugar']) expect(row(run.stdout, 'acme', source)).toMatch(/ok: signed in and searched in \d+ ms$/);
    expect(row(run.stdout, 'acme', 'directory')).toMatch(/ok: searched in \d+ ms$/);
    expect(run.stdout).toContain('Everything checked is ok.');
    expect(run.code).toBe(0);
    expect(salesforce.requestsTo('/search').length).toBeGreaterThan(0);
  });

  it('names each problem in words, per tenant and source, and exits 1', async () => {
    const run = await runCheck({
      'acme.env': `TOKEN=acme-token-1\n${crms({ hubspotToken: 'pat-eu1-revoked', sugarPassword: 'wrong-password', salesforceSecret: 'wrong-secret' })}`,
      'book.csv': PHONE_BOOK_CSV,
      'broken.env': 'TOKEN=broken-token-1\nDEFAULT_REGION=Swiss\nTOKEN=broken-token-2\n',
      'empty.env': 'TOKEN=empty-token-1\n',
      'twin.env': 'TOKEN=acme-token-1\n',
    });
    expect(row(run.stdout, 'acme', 'salesforce')).toMatch(/AUTH \(invalid_client\)/);
    expect(row(run.stdout, 'acme', 'hubspot')).toMatch(/AUTH/);
    expect(row(run.stdout, 'acme', 'sugar')).toMatch(/SUGAR_USERNAME/);
    expect(row(run.stdout, 'acme', 'directory')).toMatch(/ok: /);
    expect(row(run.stdout, 'broken', '(file)')).toMatch(/TOKEN: given 2 times \(lines 1, 3\)/);
    expect(run.stdout).toContain('DEFAULT_REGION="Swiss": must be a two-letter ISO 3166 country code');
    expect(row(run.stdout, 'empty', '(none)')).toContain('no source enabled');
    expect(row(run.stdout, 'twin', '(file)')).toContain('the same token is also used by tenant acme');
    expect(run.stdout).toContain('6 problem(s): the lines above say what to fix.');
    expect(run.stdout).not.toMatch(/wrong-secret|wrong-password|pat-eu1-revoked|acme-token-1|broken-token/);
    expect(run.code).toBe(1);
  });

  it('does not call a CRM ok when part of its answer fails (HubSpot\'s company search refused)', async () => {
    hubspot.searchFailures = { companies: 400 };
    try {
      const run = await runCheck({ 'acme.env': `TOKEN=acme-token-1\n${crms()}`, 'book.csv': PHONE_BOOK_CSV });
      expect(row(run.stdout, 'acme', 'hubspot')).toMatch(/answers only in part: companies not searched; answered with the other objects' matches \(BAD_REQUEST: /);
      expect(row(run.stdout, 'acme', 'salesforce')).toMatch(/ok: /);
      expect(run.code).toBe(1);
    } finally {
      hubspot.searchFailures = {};
    }
  });

  it('says which global setting is wrong, and warns of misspelt ones', async () => {
    const bad = await runCheck({ 'acme.env': 'TOKEN=acme-token-1\nDIRECTORY_FILE=book.csv\n', 'book.csv': PHONE_BOOK_CSV }, { LOOKUP_TIMEOUT_MS: 'soon' });
    expect(bad.stdout).toContain('LOOKUP_TIMEOUT_MS="soon": must be a whole number of milliseconds from 100 to 30000');
    expect(bad.code).toBe(1);

    const misspelt = await runCheck(
      { 'acme.env': 'TOKEN=acme-token-1\nDIRECTORY_FILE=book.csv\n', 'book.csv': PHONE_BOOK_CSV, '.env': 'METRIC_TOKEN=metrics-secret-0123456789\n' },
    );
    expect(misspelt.stdout).toContain('Unknown setting ignored: .env: METRIC_TOKEN: unknown key: did you mean METRICS_TOKEN?');
    expect(misspelt.code).toBe(0);
  });

  it('says so when there is no tenant file', async () => {
    const run = await runCheck({ 'notes.txt': 'nothing here' });
    expect(run.stdout).toContain('holds no <tenant-id>.env file');
    expect(run.code).toBe(1);
  });
});
