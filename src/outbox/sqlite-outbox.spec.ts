import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboxContract } from '../../test/support/outbox-contract';
import { SqliteOutbox } from './sqlite-outbox';

outboxContract('SqliteOutbox', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sqlite-outbox-'));
  const file = join(folder, 'outbox.sqlite');
  let outbox = SqliteOutbox.open(file);
  return {
    outbox,
    reopen: async () => {
      await outbox.close();
      outbox = SqliteOutbox.open(file);
      return outbox;
    },
    cleanup: async () => rmSync(folder, { recursive: true, force: true }),
  };
});

describe('SqliteOutbox file', () => {
  let folder: string;

  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'sqlite-outbox-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('creates its missing folder, and keeps the file in WAL mode', async () => {
    const file = join(folder, 'data', 'deeper', 'outbox.sqlite');
    const outbox = SqliteOutbox.open(file);
    await outbox.close();
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
