import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LookupExplanation } from '../../src/lookup/lookup-insight';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { FakeSugar } from '../fakes/sugar/fake-sugar';
import { PHONE_BOOK_CSV } from '../support/phone-book';

const CLI = resolve(__dirname, '../../dist/lookup-cli.js');
const SALESFORCE_SECRET = 'fake-client-secret';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run lookup -- …` as an admin runs it: the built script, in a folder of its own, against these tenant files. */
function runLookup(files: Record<string, string>, args: readonly string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-lookup-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', TENANTS_DIR: dir }, timeout: 60_000 }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('npm run lookup (e2e)', () => {
  const salesforce = new FakeSalesforce();
  const sugar = new FakeSugar();
  let files: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm test\` does)`);
    await Promise.all([salesforce.start(), sugar.start()]);
    files = {
      'acme.env': [
        'TOKEN=acme-token-123',
        `SALESFORCE_LOGIN_URL=${salesforce.url}`,
        'SALESFORCE_CLIENT_ID=fake-client-id',
        `SALESFORCE_CLIENT_SECRET=${SALESFORCE_SECRET}`,
        `SUGAR_URL=${sugar.url}`,
        `SUGAR_USERNAME=${sugar.username}`,
        // Wrong: Sugar refuses the sign-in, and the explanation says so.
        'SUGAR_PASSWORD=not-the-password',
        'DIRECTORY_FILE=book.csv',
        '',
      ].join('\n'),
      'globex.env': 'TOKEN=globex-token-123\nDIRECTORY_FILE=book.csv\n',
      'book.csv': PHONE_BOOK_CSV,
    };
  });
  afterAll(() => Promise.all([salesforce.stop(), sugar.stop()]));

  it('explains a lookup readably: the reading, what each source was sent and answered, every candidate, the cards; exit 0', async () => {
    const run = await runLookup(files, ['--tenant', 'acme', '078', '907', '22', '28']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Lookup of "078 907 22 28" for tenant acme \(cache used\): [\d.]+ ms$/m);
    expect(run.stdout).toContain('Read as: phone\n  e164: +41789072228\n  national: 078 907 22 28');
    expect(run.stdout).toMatch(/^Salesforce \(salesforce\): ok in \d+ ms$/m);
    expect(run.stdout).toMatch(/^ {2}sent: GET \/search\?q=FIND \{41789072228 OR /m);
    expect(run.stdout).toMatch(/^ {2}- Contact 003000000000001AAA: Anna Muster \(Muster Treuhand AG\)\n {4}phones: .*\+41 78 907 22 28.*\n {4}match: exact; on the cards$/m);
    expect(run.stdout).toMatch(/^SugarCRM \(sugar\): error in \d+ ms: CONFIG \(need_login\): Sugar refused the login of SUGAR_USERNAME/m);
    expect(run.stdout).toMatch(/^Directory \(directory\): ok in \d+ ms\n {2}sent: look up \+41789072228 in .*book\.csv \(\d+ entries/m);
    expect(run.stdout).toMatch(/^Cards the CONNECTOR receives \(\d\):\n\[\n {2}\{\n {4}"Name": "Anna Muster"/m);
    for (const secret of [SALESFORCE_SECRET, 'not-the-password', 'acme-token-123']) expect(run.stdout).not.toContain(secret);
  });

  it('prints the explanation as JSON with --json, and asks every source now with --no-cache', async () => {
    const run = await runLookup(files, ['--tenant', 'globex', '--json', '--no-cache', '+41 44 668 18 00']);
    expect(run.code).toBe(0);
    const explanation = JSON.parse(run.stdout) as LookupExplanation;
    expect(explanation).toMatchObject({ tenant: 'globex', input: '+41 44 668 18 00', bypassedCache: true, readAs: { kind: 'phone', e164: '+41446681800' } });
    expect(explanation.sources.map((s) => `${s.source}: ${s.outcome}`)).toEqual(['directory: ok']);
    expect(explanation.cards.map((card) => (card as { Name: string }).Name)).toEqual(['Anna Muster', 'Muster Treuhand AG']);
  });

  it('says why a number cannot be read, and still exits 0', async () => {
    const run = await runLookup(files, ['--tenant', 'globex', 'anonymous']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Read as: unreadable\n  reason: letters: a withheld number (anonymous, unknown) or no phone number');
    expect(run.stdout).toContain('Cards the CONNECTOR receives (0):\n[]');
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown tenant', ['--tenant', 'initech', '41789072228'], /^No tenant "initech": .*initech\.env does not exist \(tenants in .*: acme, globex\)$/m],
    ['a tenant id that is no file name', ['--tenant', '../acme', '41789072228'], /^"\.\.\/acme" is no tenant id/m],
    ['no number', ['--tenant', 'acme'], /^Which number\? .*\n\nUsage: npm run lookup -- --tenant <tenant-id>/m],
    ['no tenant', ['41789072228'], /^Which tenant\? --tenant <tenant-id> is missing\./m],
    ['an unknown option', ['--tenant', 'acme', '--fast', '41789072228'], /Unknown option '--fast'/],
  ])('refuses %s with a clear message and exit 1', async (_, args, message) => {
    const run = await runLookup(files, args);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});
