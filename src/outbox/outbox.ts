/**
 * Workflow writes that could not be made when asked, kept until a CRM takes them. The store knows no
 * CRM and no workflow: a delivery's `payload` is opaque text (the workflow request to run again), and
 * what to do with it is decided above (`workflows/deliveries.ts`). Two stores implement it (SQLite
 * embedded, Redis with `REDIS_URL`); one contract suite runs against both.
 */

/**
 * `queued`: waits for its `nextAttemptAt`. `sending`: claimed by a worker until `leaseUntil` (a worker
 * that died leaves it to be claimed again once the lease is over). `delivered`: written; kept a while so
 * that later requests naming our id reach the record. `dead`: given up (refused for good, or retried
 * for too long); kept for an admin to retry or drop.
 */
export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'dead';

export interface NewDelivery {
  /** Our id for it, unique (a UUID); the CONNECTOR gets it (in a record id) and sends it back. */
  readonly id: string;
  readonly tenantId: string;
  readonly sourceId: string;
  readonly workflow: string;
  /** The call's key: the same call's deliveries share it (for finding a record a lost answer may have written). */
  readonly callKey: string;
  readonly payload: string;
  /** First attempt (ms since the epoch). */
  readonly nextAttemptAt: number;
  /** Why it was queued: the failure of the attempt made when it was asked. */
  readonly lastError?: string;
}

export interface Delivery extends NewDelivery {
  readonly state: DeliveryState;
  /** 1 when added; +1 on every `merge`. */
  readonly version: number;
  /** The version last written to the CRM (undefined: never). Lower than `version`: an update is due. */
  readonly deliveredVersion?: number;
  /** Attempts made by workers (the one made when it was asked not counted). */
  readonly attempts: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Retries are given up after a while counted from here: the first failure, or an admin's retry. */
  readonly retryingSince: number;
  readonly leaseUntil?: number;
  /** What the CRM wrote (opaque text: the record), once delivered. */
  readonly result?: string;
}

export interface OutboxCounts {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly queued: number;
  readonly sending: number;
  readonly dead: number;
  /** `createdAt` of the oldest delivery queued or sending; undefined when none. */
  readonly oldestWaitingSince?: number;
}

export interface Outbox {
  /** Adds a delivery, `queued`, version 1. */
  add(delivery: NewDelivery, now: number): Promise<Delivery>;

  get(id: string): Promise<Delivery | undefined>;

  /**
   * A newer request of the same call: replaces the payload and bumps the version, whatever the state
   * (a delivered or sending one then has an update due). A `delivered` delivery is queued again for
   * `now`; a `queued` one keeps its schedule; a `dead` one stays dead (an admin decides). Undefined when unknown.
   */
  merge(id: string, payload: string, now: number): Promise<Delivery | undefined>;

  /**
   * Claims up to `limit` deliveries that are due, oldest `nextAttemptAt` first: `queued` ones whose
   * `nextAttemptAt` has come, and `sending` ones whose lease is over. Each becomes `sending` until
   * `now + leaseMs`, with `attempts` + 1. Two workers never get the same delivery from one claim round.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<Delivery[]>;

  /**
   * Claims this one delivery, as `claimDue` does, whether due or not: when it is `queued`, or `sending`
   * with its lease over. Undefined otherwise (delivered, dead, unknown, or another worker's). For the
   * write that was still running when its request was answered: its own end settles it.
   */
  claim(id: string, now: number, leaseMs: number): Promise<Delivery | undefined>;

  /**
   * The CRM wrote `version` of the payload: `delivered` (with `result`), or `queued` for `now` again when a
   * merge brought a newer version meanwhile. Ignored (false) when the claim was lost (not `sending`).
   */
  delivered(id: string, version: number, result: string, now: number): Promise<boolean>;

  /** Back to `queued` until `nextAttemptAt`, with the attempt's error. False when the claim was lost. */
  retryLater(id: string, nextAttemptAt: number, error: string, now: number): Promise<boolean>;

  /** Given up: `dead`, with the reason. */
  dead(id: string, error: string, now: number): Promise<boolean>;

  /** An admin's retry of a dead or queued delivery: `queued` for `now`, `retryingSince` = `now`. */
  retryNow(id: string, now: number): Promise<boolean>;

  /** An admin drops a delivery for good. */
  remove(id: string): Promise<boolean>;

  /** Newest first, at most `limit`. */
  list(state: DeliveryState, limit: number): Promise<Delivery[]>;

  /** Per tenant and source: what waits, what is dead, how old the oldest waiting one is. */
  counts(): Promise<OutboxCounts[]>;

  /** Forgets `delivered` ones updated before `deliveredBefore` and `dead` ones updated before `deadBefore`. */
  prune(deliveredBefore: number, deadBefore: number): Promise<number>;

  close(): Promise<void>;
}
