import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Delivery, DeliveryState, NewDelivery, Outbox, OutboxCounts } from './outbox';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    workflow TEXT NOT NULL,
    call_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'dead')),
    version INTEGER NOT NULL,
    delivered_version INTEGER,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    retrying_since INTEGER NOT NULL,
    last_error TEXT,
    result TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
  CREATE INDEX IF NOT EXISTS deliveries_newest ON deliveries (state, updated_at DESC, created_at DESC);
`;

interface Row {
  readonly id: string;
  readonly tenant_id: string;
  readonly source_id: string;
  readonly workflow: string;
  readonly call_key: string;
  readonly payload: string;
  readonly state: DeliveryState;
  readonly version: number;
  readonly delivered_version: number | null;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly lease_until: number | null;
  readonly retrying_since: number;
  readonly last_error: string | null;
  readonly result: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

interface CountsRow {
  readonly tenant_id: string;
  readonly source_id: string;
  readonly queued: number;
  readonly sending: number;
  readonly dead: number;
  readonly oldest_waiting_since: number | null;
}

type Statement<Params extends object | unknown[], Result = Row> = Database.Statement<Params, Result>;

/**
 * The outbox in one SQLite file (WAL), for a single gateway without Redis. Calls are synchronous inside
 * (better-sqlite3): each is one short indexed statement or transaction on a small table.
 */
export class SqliteOutbox implements Outbox {
  private readonly statements: {
    readonly insert: Statement<Row, unknown>;
    readonly get: Statement<{ id: string }>;
    readonly merge: Statement<{ id: string; payload: string; now: number }>;
    readonly due: Statement<{ now: number; limit: number }>;
    readonly claimSelected: Statement<{ id: string; leaseUntil: number; now: number }>;
    readonly claimIfFree: Statement<{ id: string; leaseUntil: number; now: number }>;
    readonly delivered: Statement<{ id: string; version: number; result: string; now: number }, unknown>;
    readonly retryLater: Statement<{ id: string; nextAttemptAt: number; error: string; now: number }, unknown>;
    readonly dead: Statement<{ id: string; error: string; now: number }, unknown>;
    readonly retryNow: Statement<{ id: string; now: number }, unknown>;
    readonly remove: Statement<{ id: string }, unknown>;
    readonly list: Statement<{ state: DeliveryState; limit: number }>;
    readonly counts: Statement<[], CountsRow>;
    readonly prune: Statement<{ deliveredBefore: number; deadBefore: number }, unknown>;
  };
  private readonly claimDueAtomically: (now: number, leaseMs: number, limit: number) => Delivery[];

  private constructor(private readonly db: Database.Database) {
    db.pragma('journal_mode = WAL');
    // With WAL, NORMAL already keeps every commit through a crash of the process (SIGKILL): the WAL write
    // is in the OS's cache. FULL also syncs the WAL on each commit, so a commit survives a power cut or an
    // OS crash too; at an outbox's rate of writes (failed workflow writes, not lookups) that fsync is cheap.
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    this.statements = {
      insert: db.prepare(
        `INSERT INTO deliveries (id, tenant_id, source_id, workflow, call_key, payload, state, version, delivered_version, attempts,
           next_attempt_at, lease_until, retrying_since, last_error, result, created_at, updated_at)
         VALUES (@id, @tenant_id, @source_id, @workflow, @call_key, @payload, @state, @version, @delivered_version, @attempts,
           @next_attempt_at, @lease_until, @retrying_since, @last_error, @result, @created_at, @updated_at)`,
      ),
      get: db.prepare('SELECT * FROM deliveries WHERE id = @id'),
      merge: db.prepare(
        `UPDATE deliveries SET
           payload = @payload,
           version = version + 1,
           state = CASE state WHEN 'delivered' THEN 'queued' ELSE state END,
           next_attempt_at = CASE state WHEN 'delivered' THEN @now ELSE next_attempt_at END,
           retrying_since = CASE state WHEN 'delivered' THEN @now ELSE retrying_since END,
           updated_at = @now
         WHERE id = @id
         RETURNING *`,
      ),
      due: db.prepare(
        `SELECT * FROM deliveries
         WHERE (state = 'queued' AND next_attempt_at <= @now) OR (state = 'sending' AND lease_until <= @now)
         ORDER BY next_attempt_at, created_at, id
         LIMIT @limit`,
      ),
      claimSelected: db.prepare(
        `UPDATE deliveries SET state = 'sending', lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
         WHERE id = @id
         RETURNING *`,
      ),
      claimIfFree: db.prepare(
        `UPDATE deliveries SET state = 'sending', lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
         WHERE id = @id AND (state = 'queued' OR (state = 'sending' AND lease_until <= @now))
         RETURNING *`,
      ),
      delivered: db.prepare(
        `UPDATE deliveries SET
           state = CASE WHEN @version < version THEN 'queued' ELSE 'delivered' END,
           next_attempt_at = CASE WHEN @version < version THEN @now ELSE next_attempt_at END,
           retrying_since = CASE WHEN @version < version THEN @now ELSE retrying_since END,
           delivered_version = @version,
           result = @result,
           lease_until = NULL,
           updated_at = @now
         WHERE id = @id AND state = 'sending'`,
      ),
      retryLater: db.prepare(
        `UPDATE deliveries SET state = 'queued', next_attempt_at = @nextAttemptAt, last_error = @error, lease_until = NULL, updated_at = @now
         WHERE id = @id AND state = 'sending'`,
      ),
      dead: db.prepare(
        `UPDATE deliveries SET state = 'dead', last_error = @error, lease_until = NULL, updated_at = @now
         WHERE id = @id AND state = 'sending'`,
      ),
      retryNow: db.prepare(
        `UPDATE deliveries SET state = 'queued', next_attempt_at = @now, retrying_since = @now, updated_at = @now
         WHERE id = @id AND state IN ('queued', 'dead')`,
      ),
      remove: db.prepare('DELETE FROM deliveries WHERE id = @id'),
      list: db.prepare('SELECT * FROM deliveries WHERE state = @state ORDER BY updated_at DESC, created_at DESC, id DESC LIMIT @limit'),
      counts: db.prepare(
        `SELECT tenant_id, source_id,
           SUM(state = 'queued') AS queued,
           SUM(state = 'sending') AS sending,
           SUM(state = 'dead') AS dead,
           MIN(CASE WHEN state IN ('queued', 'sending') THEN created_at END) AS oldest_waiting_since
         FROM deliveries
         WHERE state <> 'delivered'
         GROUP BY tenant_id, source_id
         ORDER BY tenant_id, source_id`,
      ),
      prune: db.prepare(
        `DELETE FROM deliveries
         WHERE (state = 'delivered' AND updated_at < @deliveredBefore) OR (state = 'dead' AND updated_at < @deadBefore)`,
      ),
    };
    const claimDue = db.transaction((now: number, leaseMs: number, limit: number): Delivery[] =>
      this.statements.due.all({ now, limit }).map(({ id }) => toDelivery(this.statements.claimSelected.get({ id, leaseUntil: now + leaseMs, now })!)),
    );
    // IMMEDIATE: the write lock is taken before the due rows are read, so a second process sharing the
    // file waits for this claim instead of reading the same rows.
    this.claimDueAtomically = (now, leaseMs, limit) => claimDue.immediate(now, leaseMs, limit);
  }

  /** Opens (or creates, with its folder) the outbox file. */
  static open(file: string): SqliteOutbox {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      return new SqliteOutbox(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async add(delivery: NewDelivery, now: number): Promise<Delivery> {
    const row: Row = {
      id: delivery.id,
      tenant_id: delivery.tenantId,
      source_id: delivery.sourceId,
      workflow: delivery.workflow,
      call_key: delivery.callKey,
      payload: delivery.payload,
      state: 'queued',
      version: 1,
      delivered_version: null,
      attempts: 0,
      next_attempt_at: delivery.nextAttemptAt,
      lease_until: null,
      retrying_since: now,
      last_error: delivery.lastError ?? null,
      result: null,
      created_at: now,
      updated_at: now,
    };
    this.statements.insert.run(row);
    return toDelivery(row);
  }

  async get(id: string): Promise<Delivery | undefined> {
    const row = this.statements.get.get({ id });
    return row && toDelivery(row);
  }

  async merge(id: string, payload: string, now: number): Promise<Delivery | undefined> {
    const row = this.statements.merge.get({ id, payload, now });
    return row && toDelivery(row);
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
    // SQLite reads a negative LIMIT as no limit.
    return limit > 0 ? this.claimDueAtomically(now, leaseMs, limit) : [];
  }

  async claim(id: string, now: number, leaseMs: number): Promise<Delivery | undefined> {
    const row = this.statements.claimIfFree.get({ id, leaseUntil: now + leaseMs, now });
    return row && toDelivery(row);
  }

  async delivered(id: string, version: number, result: string, now: number): Promise<boolean> {
    return this.statements.delivered.run({ id, version, result, now }).changes > 0;
  }

  async retryLater(id: string, nextAttemptAt: number, error: string, now: number): Promise<boolean> {
    return this.statements.retryLater.run({ id, nextAttemptAt, error, now }).changes > 0;
  }

  async dead(id: string, error: string, now: number): Promise<boolean> {
    return this.statements.dead.run({ id, error, now }).changes > 0;
  }

  async retryNow(id: string, now: number): Promise<boolean> {
    return this.statements.retryNow.run({ id, now }).changes > 0;
  }

  async remove(id: string): Promise<boolean> {
    return this.statements.remove.run({ id }).changes > 0;
  }

  async list(state: DeliveryState, limit: number): Promise<Delivery[]> {
    return limit > 0 ? this.statements.list.all({ state, limit }).map(toDelivery) : [];
  }

  async counts(): Promise<OutboxCounts[]> {
    return this.statements.counts.all().map((row) => ({
      tenantId: row.tenant_id,
      sourceId: row.source_id,
      queued: row.queued,
      sending: row.sending,
      dead: row.dead,
      ...(row.oldest_waiting_since === null ? {} : { oldestWaitingSince: row.oldest_waiting_since }),
    }));
  }

  async prune(deliveredBefore: number, deadBefore: number): Promise<number> {
    return this.statements.prune.run({ deliveredBefore, deadBefore }).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toDelivery(row: Row): Delivery {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sourceId: row.source_id,
    workflow: row.workflow,
    callKey: row.call_key,
    payload: row.payload,
    nextAttemptAt: row.next_attempt_at,
    state: row.state,
    version: row.version,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    retryingSince: row.retrying_since,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(row.delivered_version === null ? {} : { deliveredVersion: row.delivered_version }),
    ...(row.lease_until === null ? {} : { leaseUntil: row.lease_until }),
    ...(row.result === null ? {} : { result: row.result }),
  };
}
