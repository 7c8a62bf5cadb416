import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NewDelivery } from '../../src/outbox/outbox';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox';
import { eventually } from '../support/eventually';

const BUILT_OUTBOX = resolve(__dirname, '../../dist/outbox/sqlite-outbox.js');
const T0 = Date.UTC(2026, 0, 1);
const LEASE_MS = 30_000;

jest.setTimeout(30_000);

function delivery(id: string, nextAttemptAt: number): NewDelivery {
  return { id, tenantId: 'acme', sourceId: 'salesforce', workflow: 'createContact', callKey: `call-${id}`, payload: `{"id":"${id}"}`, nextAttemptAt, lastError: 'UNAVAILABLE' };
}

/**
 * A gateway process writing to its outbox file (the built store, `dist/`) is killed with SIGKILL, as the
 * kernel's OOM killer or `docker kill` does: no close, no checkpoint, only what SQLite committed.
 */
describe('SqliteOutbox through a killed process (e2e, two processes)', () => {
  let folder: string;
  let file: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(BUILT_OUTBOX)) throw new Error(`${BUILT_OUTBOX} is missing: run \`npm run build\` first (\`npm test\` does)`);
  });
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'outbox-durability-'));
    file = join(folder, 'outbox.sqlite');
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps what a process killed with SIGKILL added and claimed, and lets the claim be taken again after its lease', async () => {
    const claimed = delivery('claimed-before-the-kill', T0 - 1000);
    const queued = delivery('queued-before-the-kill', T0 + 60_000);
    const script = `
      const { SqliteOutbox } = require(${JSON.stringify(BUILT_OUTBOX)});
      (async () => {
        const outbox = SqliteOutbox.open(${JSON.stringify(file)});
        await outbox.add(${JSON.stringify(claimed)}, ${T0});
        await outbox.add(${JSON.stringify(queued)}, ${T0});
        await outbox.claimDue(${T0}, ${LEASE_MS}, 10);
        process.stdout.write('written\\n');
        setInterval(() => undefined, 60_000);
      })().catch((error) => {
        console.error(error);
        process.exit(1);
      });
    `;
    let stdout = '';
    let stderr = '';
    const started = spawn(process.execPath, ['-e', script]);
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((done) => started.on('exit', (_code, signal) => done(signal)));

    await eventually(() => {
      if (started.exitCode !== null) throw new Error(`the writing process ended (${started.exitCode}): ${stderr}`);
      return stdout.includes('written');
    }, 20_000);
    // Not checkpointed into the main file: what the reopen finds, it finds in the WAL.
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    started.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const outbox = SqliteOutbox.open(file);
    try {
      expect(await outbox.get(queued.id)).toEqual({ ...queued, state: 'queued', version: 1, attempts: 0, createdAt: T0, updatedAt: T0, retryingSince: T0 });
      expect(await outbox.get(claimed.id)).toMatchObject({ state: 'sending', attempts: 1, leaseUntil: T0 + LEASE_MS });
      expect(await outbox.claimDue(T0 + LEASE_MS - 1, LEASE_MS, 10)).toEqual([]);
      expect(await outbox.claimDue(T0 + LEASE_MS, LEASE_MS, 10)).toMatchObject([{ id: claimed.id, state: 'sending', attempts: 2 }]);
    } finally {
      await outbox.close();
    }
  });
});
