import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { PHONE_BOOK_CSV } from '../support/phone-book';

const ROOT = resolve(__dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What a server sees of npm: no developer's settings, production mode. */
function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), NODE_ENV: 'production', ...extra };
}

function npm(args: readonly string[], cwd: string, env: Record<string, string> = serverEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(NPM, args, { cwd, env, timeout: 180_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * The README's "Deploying" steps on a server: production dependencies only (no TypeScript), the built
 * files copied over, then `npm run start:prod` and `npm run check`.
 */
describe('a production install (e2e)', () => {
  jest.setTimeout(240_000);
  const server = mkdtempSync(join(tmpdir(), 'gateway-server-'));
  const tenants = join(server, 'tenants');

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    for (const file of ['package.json', 'package-lock.json', 'scripts/built.js']) cpSync(join(ROOT, file), join(server, file));
    mkdirSync(tenants);
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=acme-token-1\nDIRECTORY_FILE=book.csv\n');
    writeFileSync(join(tenants, 'book.csv'), PHONE_BOOK_CSV);
    const install = await npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], server);
    if (install.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.stderr}`);
  });
  afterAll(() => rmSync(server, { recursive: true, force: true }));

  it('installs without TypeScript or the test tools', () => {
    expect(existsSync(join(server, 'node_modules/@nestjs/core'))).toBe(true);
    expect(existsSync(join(server, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(server, 'node_modules/jest'))).toBe(false);
  });

  it('says how to build when the built files are missing', async () => {
    const run = await npm(['run', 'start:prod'], server, serverEnv({ TENANTS_DIR: tenants }));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('The gateway is not built yet (dist/main.js is missing)');
    expect(run.stderr).toContain('npm run build');
  });

  it('starts the built gateway with npm run start:prod, answers, and stops on SIGTERM', async () => {
    cpSync(join(ROOT, 'dist'), join(server, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'templates'), join(server, 'templates'), { recursive: true });
    const gateway = new GatewayProcess(NPM, ['run', 'start:prod', '--silent'], { cwd: server, env: serverEnv({ TENANTS_DIR: tenants }), port: await freePort() });
    try {
      await gateway.waitForLine(/^Gateway listening on /, 60_000);
      const answer = await fetch(`${gateway.url}/lookup?PhoneNumber=41789072228`, { headers: { 'X-Execution-Token': 'acme-token-1' } });
      expect(((await answer.json()) as Array<{ Name: string }>).map((card) => card.Name)).toEqual(['Anna Muster']);
    } finally {
      await gateway.stop('SIGTERM');
    }
    expect(gateway.messages()).toContain('Stopped (SIGTERM)');

    const check = await npm(['run', 'check', '--silent'], server, serverEnv({ TENANTS_DIR: tenants }));
    expect(check.stdout).toMatch(/^acme\s+directory\s+ok: searched in \d+ ms$/m);
    expect(check.code).toBe(0);
  });
});
