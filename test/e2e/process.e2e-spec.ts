import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(__dirname, '../../dist/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs the built gateway as an admin would (`node dist/main.js`), stopping it once `until` shows up. */
/** An empty working folder, so no developer's .env leaks into these runs. */
const WORKDIR = mkdtempSync(join(tmpdir(), 'gateway-cwd-'));

async function runGateway(env: Record<string, string>, until?: RegExp): Promise<Run> {
  const port = String(await freePort());
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: WORKDIR,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: port, ...env },
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    });
  });
}

describe('the gateway process (e2e)', () => {
  const tenants = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  afterAll(() => {
    rmSync(tenants, { recursive: true, force: true });
    rmSync(WORKDIR, { recursive: true, force: true });
  });

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
  });

  it('refuses to start without tenants, says how to add one, and exits 1', async () => {
    const run = await runGateway({ TENANTS_DIR: tenants });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The gateway did not start.');
    expect(run.stderr).toContain('No tenants configured');
    expect(run.stderr).toContain('npm run demo');
  });

  it('refuses a bad global setting, naming the variable, the value and the rule', async () => {
    const run = await runGateway({ TENANTS_DIR: tenants, LOOKUP_TIMEOUT_MS: 'soon' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('LOOKUP_TIMEOUT_MS="soon": must be a whole number of milliseconds from 100 to 30000');
  });

  it('starts with a tenant, logs JSON lines, and stops on SIGTERM', async () => {
    writeFileSync(join(tenants, 'acme.env'), 'TOKEN=secret-token-1\n');
    const run = await runGateway({ TENANTS_DIR: tenants }, /Gateway listening/);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^Tenant acme ready with no source: its lookups answer \[\]/)]));
    expect(run.stdout).not.toContain('secret-token-1');
    expect(run.stderr).toBe('');
  });
});
