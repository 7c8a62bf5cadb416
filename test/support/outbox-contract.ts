import type { Delivery, NewDelivery, Outbox } from '../../src/outbox/outbox';

export interface OpenedOutbox {
  readonly outbox: Outbox;
  /** Closes the outbox and opens the same store again (what a restart does). */
  readonly reopen?: () => Promise<Outbox>;
  /** Forgets the store (after the outbox was closed). */
  readonly cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1000;
const LEASE_MS = 30 * SECOND;

/** What any `Outbox` must do, whatever keeps it: one empty store per test, times chosen by the test. */
export function outboxContract(name: string, open: () => Promise<OpenedOutbox>): void {
  describe(`${name} (Outbox contract)`, () => {
    let opened: OpenedOutbox;
    let outbox: Outbox;
    let count = 0;

    beforeEach(async () => {
      opened = await open();
      outbox = opened.outbox;
    });
    afterEach(async () => {
      await outbox.close();
      await opened.cleanup();
    });

    function newDelivery(fields: Partial<NewDelivery> = {}): NewDelivery {
      count += 1;
      return {
        id: `00000000-0000-4000-8000-${String(count).padStart(12, '0')}`,
        tenantId: 'acme',
        sourceId: 'salesforce',
        workflow: 'createContact',
        callKey: `call-${count}`,
        payload: JSON.stringify({ n: count }),
        nextAttemptAt: T0,
        ...fields,
      };
    }

    async function added(fields: Partial<NewDelivery> = {}, now = T0): Promise<Delivery> {
      return outbox.add(newDelivery(fields), now);
    }

    async function claimed(fields: Partial<NewDelivery> = {}, now = T0): Promise<Delivery> {
      const delivery = await added({ nextAttemptAt: now, ...fields }, now);
      const [claim] = await outbox.claimDue(now, LEASE_MS, 1);
      expect(claim?.id).toBe(delivery.id);
      return claim!;
    }

    const ids = (deliveries: readonly Delivery[]): string[] => deliveries.map((delivery) => delivery.id);

    it('adds a delivery queued at version 1 with no attempts, and gets it back with every field', async () => {
      const fields = newDelivery({ nextAttemptAt: T0 + 5 * SECOND, lastError: 'UNAVAILABLE: 503 from Salesforce' });
      const expected: Delivery = { ...fields, state: 'queued', version: 1, attempts: 0, createdAt: T0, updatedAt: T0, retryingSince: T0 };
      expect(await outbox.add(fields, T0)).toEqual(expected);
      const got = await outbox.get(fields.id);
      expect(got).toEqual(expected);
      expect(got?.deliveredVersion).toBeUndefined();
      expect(got?.leaseUntil).toBeUndefined();
      expect(got?.result).toBeUndefined();
    });

    it('keeps a delivery added without an error without one, and knows no unknown id', async () => {
      const delivery = await added();
      expect((await outbox.get(delivery.id))?.lastError).toBeUndefined();
      expect(await outbox.get('00000000-0000-4000-8000-ffffffffffff')).toBeUndefined();
    });

    it('claims only due deliveries, oldest nextAttemptAt first, at most limit, as sending with a lease and one more attempt', async () => {
      const now = T0 + 10 * SECOND;
      const later = await added({ nextAttemptAt: now - 1 * SECOND });
      const oldest = await added({ nextAttemptAt: now - 3 * SECOND });
      const notYet = await added({ nextAttemptAt: now + 1 });
      const exactlyNow = await added({ nextAttemptAt: now });
      const middle = await added({ nextAttemptAt: now - 2 * SECOND });

      const first = await outbox.claimDue(now, LEASE_MS, 3);
      expect(ids(first)).toEqual([oldest.id, middle.id, later.id]);
      for (const delivery of first) {
        expect(delivery).toMatchObject({ state: 'sending', leaseUntil: now + LEASE_MS, attempts: 1, updatedAt: now });
        expect(await outbox.get(delivery.id)).toEqual(delivery);
      }
      expect(ids(await outbox.claimDue(now, LEASE_MS, 3))).toEqual([exactlyNow.id]);
      expect(await outbox.claimDue(now, LEASE_MS, 3)).toEqual([]);
      expect(await outbox.get(notYet.id)).toMatchObject({ state: 'queued', attempts: 0 });
      expect(ids(await outbox.claimDue(notYet.nextAttemptAt, LEASE_MS, 3))).toEqual([notYet.id]);
    });

    it('gives claims made at the same time different deliveries', async () => {
      const due = await Promise.all([1, 2, 3, 4, 5].map(() => added()));
      const rounds = await Promise.all([1, 2, 3].map(() => outbox.claimDue(T0, LEASE_MS, 2)));
      const claimedIds = rounds.flatMap(ids);
      expect(claimedIds).toHaveLength(5);
      expect(new Set(claimedIds)).toEqual(new Set(ids(due)));
    });

    it('claims a sending delivery again once its lease is over, not before', async () => {
      const first = await claimed();
      const leaseUntil = T0 + LEASE_MS;
      expect(first.leaseUntil).toBe(leaseUntil);
      expect(await outbox.claimDue(leaseUntil - 1, LEASE_MS, 10)).toEqual([]);
      const [again] = await outbox.claimDue(leaseUntil, LEASE_MS, 10);
      expect(again).toMatchObject({ id: first.id, state: 'sending', attempts: 2, leaseUntil: leaseUntil + LEASE_MS });
    });

    it('claims one queued delivery by its id even before it is due, once', async () => {
      const delivery = await added({ nextAttemptAt: T0 + 3600 * SECOND });
      const other = await added({ nextAttemptAt: T0 + 2 * SECOND });
      const claim = await outbox.claim(delivery.id, T0 + SECOND, LEASE_MS);
      expect(claim).toEqual({ ...delivery, state: 'sending', leaseUntil: T0 + SECOND + LEASE_MS, attempts: 1, updatedAt: T0 + SECOND });
      expect(await outbox.get(delivery.id)).toEqual(claim);
      expect(await outbox.get(other.id)).toEqual(other);
      expect(await outbox.claim(delivery.id, T0 + SECOND + LEASE_MS - 1, LEASE_MS)).toBeUndefined();
      expect(await outbox.claimDue(T0 + 2 * SECOND, LEASE_MS, 10)).toMatchObject([{ id: other.id }]);
    });

    it('claims one sending delivery by its id again once its lease is over', async () => {
      const first = await claimed();
      expect(await outbox.claim(first.id, first.leaseUntil! - 1, LEASE_MS)).toBeUndefined();
      expect(await outbox.claim(first.id, first.leaseUntil!, LEASE_MS)).toMatchObject({ state: 'sending', attempts: 2, leaseUntil: first.leaseUntil! + LEASE_MS });
    });

    it('claims no delivered, dead or unknown delivery by its id', async () => {
      const delivered = await claimed();
      await outbox.delivered(delivered.id, 1, '{"id":"003A"}', T0);
      const dead = await claimed();
      await outbox.dead(dead.id, 'REFUSED', T0);
      for (const id of [delivered.id, dead.id]) {
        const before = await outbox.get(id);
        expect(await outbox.claim(id, T0 + SECOND, LEASE_MS)).toBeUndefined();
        expect(await outbox.get(id)).toEqual(before);
      }
      expect(await outbox.claim('00000000-0000-4000-8000-ffffffffffff', T0, LEASE_MS)).toBeUndefined();
      expect(await outbox.get('00000000-0000-4000-8000-ffffffffffff')).toBeUndefined();
    });

    it('marks a claimed delivery delivered with its result when the current version was written', async () => {
      const claim = await claimed();
      expect(await outbox.delivered(claim.id, claim.version, '{"id":"003A"}', T0 + SECOND)).toBe(true);
      const delivered = await outbox.get(claim.id);
      expect(delivered).toMatchObject({ state: 'delivered', result: '{"id":"003A"}', deliveredVersion: 1, version: 1, updatedAt: T0 + SECOND });
      expect(delivered?.leaseUntil).toBeUndefined();
      expect(await outbox.claimDue(T0 + 10 * LEASE_MS, LEASE_MS, 10)).toEqual([]);
    });

    it('queues a delivery merged while it was sending again for now once the older version is written', async () => {
      const claim = await claimed();
      const merged = await outbox.merge(claim.id, '{"newer":true}', T0 + SECOND);
      expect(merged).toMatchObject({ state: 'sending', version: 2, payload: '{"newer":true}', leaseUntil: claim.leaseUntil });
      expect(await outbox.delivered(claim.id, 1, '{"id":"003A"}', T0 + 2 * SECOND)).toBe(true);
      const queued = await outbox.get(claim.id);
      expect(queued).toMatchObject({
        state: 'queued',
        version: 2,
        deliveredVersion: 1,
        payload: '{"newer":true}',
        result: '{"id":"003A"}',
        nextAttemptAt: T0 + 2 * SECOND,
        retryingSince: T0 + 2 * SECOND,
      });
      expect(queued?.leaseUntil).toBeUndefined();
      expect(ids(await outbox.claimDue(T0 + 2 * SECOND, LEASE_MS, 10))).toEqual([claim.id]);
    });

    it('queues a delivered delivery again for now when merged, one version up', async () => {
      const claim = await claimed();
      await outbox.delivered(claim.id, claim.version, '{"id":"003A"}', T0 + SECOND);
      const merged = await outbox.merge(claim.id, '{"newer":true}', T0 + 60 * SECOND);
      const expected = { state: 'queued', version: 2, deliveredVersion: 1, payload: '{"newer":true}', nextAttemptAt: T0 + 60 * SECOND, retryingSince: T0 + 60 * SECOND, updatedAt: T0 + 60 * SECOND };
      expect(merged).toMatchObject(expected);
      expect(await outbox.get(claim.id)).toEqual(merged);
      expect(ids(await outbox.claimDue(T0 + 60 * SECOND, LEASE_MS, 10))).toEqual([claim.id]);
    });

    it('keeps the schedule of a queued delivery when merged', async () => {
      const delivery = await added({ nextAttemptAt: T0 + 90 * SECOND });
      const merged = await outbox.merge(delivery.id, '{"newer":true}', T0 + SECOND);
      expect(merged).toEqual({ ...delivery, payload: '{"newer":true}', version: 2, updatedAt: T0 + SECOND });
      expect(await outbox.get(delivery.id)).toEqual(merged);
      expect(await outbox.claimDue(T0 + SECOND, LEASE_MS, 10)).toEqual([]);
    });

    it('leaves a dead delivery dead when merged, with the new payload and version', async () => {
      const claim = await claimed();
      await outbox.dead(claim.id, 'REFUSED: 400 from Salesforce', T0 + SECOND);
      const merged = await outbox.merge(claim.id, '{"newer":true}', T0 + 2 * SECOND);
      expect(merged).toMatchObject({ state: 'dead', version: 2, payload: '{"newer":true}', lastError: 'REFUSED: 400 from Salesforce' });
      expect(await outbox.get(claim.id)).toEqual(merged);
      expect(await outbox.claimDue(T0 + 10 * LEASE_MS, LEASE_MS, 10)).toEqual([]);
    });

    it('merges nothing into an unknown delivery', async () => {
      expect(await outbox.merge('00000000-0000-4000-8000-ffffffffffff', '{}', T0)).toBeUndefined();
      expect(await outbox.get('00000000-0000-4000-8000-ffffffffffff')).toBeUndefined();
    });

    it('queues a claimed delivery again until the given time with the error', async () => {
      const claim = await claimed();
      expect(await outbox.retryLater(claim.id, T0 + 60 * SECOND, 'UNAVAILABLE: 503 from Salesforce', T0 + SECOND)).toBe(true);
      const queued = await outbox.get(claim.id);
      expect(queued).toMatchObject({ state: 'queued', nextAttemptAt: T0 + 60 * SECOND, lastError: 'UNAVAILABLE: 503 from Salesforce', attempts: 1, retryingSince: T0, updatedAt: T0 + SECOND });
      expect(queued?.leaseUntil).toBeUndefined();
      expect(await outbox.claimDue(T0 + 60 * SECOND - 1, LEASE_MS, 10)).toEqual([]);
      expect(await outbox.claimDue(T0 + 60 * SECOND, LEASE_MS, 10)).toMatchObject([{ id: claim.id, attempts: 2 }]);
    });

    it('gives a claimed delivery up as dead with the reason', async () => {
      const claim = await claimed();
      expect(await outbox.dead(claim.id, 'REFUSED: 400 from Salesforce', T0 + SECOND)).toBe(true);
      const dead = await outbox.get(claim.id);
      expect(dead).toMatchObject({ state: 'dead', lastError: 'REFUSED: 400 from Salesforce', updatedAt: T0 + SECOND });
      expect(dead?.leaseUntil).toBeUndefined();
      expect(await outbox.claimDue(T0 + 10 * LEASE_MS, LEASE_MS, 10)).toEqual([]);
    });

    it('ignores delivered, retryLater and dead for a delivery that is not sending, and changes nothing', async () => {
      const queued = await added({ nextAttemptAt: T0 + 60 * SECOND });
      const delivered = await claimed();
      await outbox.delivered(delivered.id, 1, '{"id":"003A"}', T0);
      const dead = await claimed();
      await outbox.dead(dead.id, 'REFUSED: 400 from Salesforce', T0);
      const unknown = '00000000-0000-4000-8000-ffffffffffff';

      for (const id of [queued.id, delivered.id, dead.id, unknown]) {
        const before = await outbox.get(id);
        expect(await outbox.delivered(id, 1, '{"id":"other"}', T0 + SECOND)).toBe(false);
        expect(await outbox.retryLater(id, T0 + 2 * SECOND, 'late', T0 + SECOND)).toBe(false);
        expect(await outbox.dead(id, 'late', T0 + SECOND)).toBe(false);
        expect(await outbox.get(id)).toEqual(before);
      }
    });

    it("queues a dead delivery for now on an admin's retry, counting the retries from then", async () => {
      const claim = await claimed();
      await outbox.dead(claim.id, 'RETRIES_EXHAUSTED', T0 + SECOND);
      const now = T0 + 3600 * SECOND;
      expect(await outbox.retryNow(claim.id, now)).toBe(true);
      expect(await outbox.get(claim.id)).toMatchObject({ state: 'queued', nextAttemptAt: now, retryingSince: now, updatedAt: now, version: 1 });
      expect(ids(await outbox.claimDue(now, LEASE_MS, 10))).toEqual([claim.id]);
    });

    it("brings a queued delivery forward on an admin's retry, and refuses to retry one sending or delivered", async () => {
      const sending = await claimed();
      const before = await outbox.get(sending.id);
      expect(await outbox.retryNow(sending.id, T0 + SECOND)).toBe(false);
      expect(await outbox.get(sending.id)).toEqual(before);
      await outbox.delivered(sending.id, 1, '{"id":"003A"}', T0 + SECOND);
      const delivered = await outbox.get(sending.id);
      expect(await outbox.retryNow(sending.id, T0 + 2 * SECOND)).toBe(false);
      expect(await outbox.get(sending.id)).toEqual(delivered);
      expect(await outbox.retryNow('00000000-0000-4000-8000-ffffffffffff', T0)).toBe(false);

      const queued = await added({ nextAttemptAt: T0 + 3600 * SECOND });
      expect(await outbox.retryNow(queued.id, T0 + 3 * SECOND)).toBe(true);
      expect(await outbox.get(queued.id)).toMatchObject({ state: 'queued', nextAttemptAt: T0 + 3 * SECOND, retryingSince: T0 + 3 * SECOND });
    });

    it('removes a delivery for good, once', async () => {
      const delivery = await added();
      const kept = await added();
      expect(await outbox.remove(delivery.id)).toBe(true);
      expect(await outbox.get(delivery.id)).toBeUndefined();
      expect(await outbox.remove(delivery.id)).toBe(false);
      expect(ids(await outbox.claimDue(T0, LEASE_MS, 10))).toEqual([kept.id]);
    });

    it('lists the deliveries of a state newest first (last updated, then last created), at most limit', async () => {
      const a = await added({ nextAttemptAt: T0 + 3600 * SECOND }, T0);
      const b = await added({ nextAttemptAt: T0 + 3600 * SECOND }, T0 + SECOND);
      const c = await added({ nextAttemptAt: T0 + 3600 * SECOND }, T0 + 2 * SECOND);
      const d = await added({ nextAttemptAt: T0 + 3600 * SECOND }, T0 + 3 * SECOND);
      await outbox.merge(b.id, '{"newer":true}', T0 + 5 * SECOND);
      await outbox.merge(a.id, '{"newer":true}', T0 + 5 * SECOND);
      const dead = await claimed({}, T0 + 6 * SECOND);
      await outbox.dead(dead.id, 'REFUSED', T0 + 6 * SECOND);

      expect(ids(await outbox.list('queued', 10))).toEqual([b.id, a.id, d.id, c.id]);
      expect(ids(await outbox.list('queued', 2))).toEqual([b.id, a.id]);
      expect(await outbox.list('dead', 10)).toEqual([await outbox.get(dead.id)]);
      expect(await outbox.list('sending', 10)).toEqual([]);
    });

    it('counts what waits and what is dead per tenant and source, with the creation of the oldest waiting one', async () => {
      await added({ tenantId: 'acme', sourceId: 'salesforce', nextAttemptAt: T0 + 3600 * SECOND }, T0 + 5 * SECOND);
      const oldestDead = await claimed({ tenantId: 'acme', sourceId: 'salesforce' }, T0);
      await outbox.dead(oldestDead.id, 'REFUSED', T0);
      const sending = await claimed({ tenantId: 'acme', sourceId: 'salesforce' }, T0 + 2 * SECOND);
      await added({ tenantId: 'acme', sourceId: 'hubspot', nextAttemptAt: T0 + 3600 * SECOND }, T0 + 7 * SECOND);
      const onlyDead = await claimed({ tenantId: 'globex', sourceId: 'salesforce' }, T0 + 8 * SECOND);
      await outbox.dead(onlyDead.id, 'REFUSED', T0 + 8 * SECOND);
      const onlyDelivered = await claimed({ tenantId: 'initech', sourceId: 'sugar' }, T0 + 9 * SECOND);
      await outbox.delivered(onlyDelivered.id, 1, '{}', T0 + 9 * SECOND);

      const counts = await outbox.counts();
      expect([...counts].sort((x, y) => `${x.tenantId}/${x.sourceId}`.localeCompare(`${y.tenantId}/${y.sourceId}`))).toEqual([
        { tenantId: 'acme', sourceId: 'hubspot', queued: 1, sending: 0, dead: 0, oldestWaitingSince: T0 + 7 * SECOND },
        { tenantId: 'acme', sourceId: 'salesforce', queued: 1, sending: 1, dead: 1, oldestWaitingSince: sending.createdAt },
        { tenantId: 'globex', sourceId: 'salesforce', queued: 0, sending: 0, dead: 1 },
      ]);
    });

    it('prunes delivered and dead deliveries last updated before their limits, and keeps the others', async () => {
      const oldDelivered = await claimed({}, T0);
      await outbox.delivered(oldDelivered.id, 1, '{}', T0);
      const newDelivered = await claimed({}, T0 + 10 * SECOND);
      await outbox.delivered(newDelivered.id, 1, '{}', T0 + 10 * SECOND);
      const oldDead = await claimed({}, T0);
      await outbox.dead(oldDead.id, 'REFUSED', T0);
      const newDead = await claimed({}, T0 + 20 * SECOND);
      await outbox.dead(newDead.id, 'REFUSED', T0 + 20 * SECOND);
      const oldQueued = await added({ nextAttemptAt: T0 + 3600 * SECOND }, T0);
      const oldSending = await claimed({}, T0);

      expect(await outbox.prune(T0 + 10 * SECOND, T0 + 20 * SECOND)).toBe(2);
      expect(await outbox.get(oldDelivered.id)).toBeUndefined();
      expect(await outbox.get(oldDead.id)).toBeUndefined();
      for (const kept of [newDelivered, newDead, oldQueued, oldSending]) expect(await outbox.get(kept.id)).toBeDefined();
      expect(await outbox.prune(T0 + 10 * SECOND, T0 + 20 * SECOND)).toBe(0);
      expect(await outbox.prune(T0 + 10 * SECOND + 1, T0 + 20 * SECOND + 1)).toBe(2);
    });

    it('keeps every delivery and change across a close and a reopen', async () => {
      const reopen = opened.reopen;
      if (!reopen) return;
      const queued = await added({ nextAttemptAt: T0 + 3600 * SECOND, lastError: 'UNAVAILABLE' });
      const merged = await added({ nextAttemptAt: T0 + 3600 * SECOND });
      await outbox.merge(merged.id, '{"newer":true}', T0 + SECOND);
      const delivered = await claimed({}, T0 + SECOND);
      await outbox.delivered(delivered.id, 1, '{"id":"003A"}', T0 + 2 * SECOND);
      const dead = await claimed({}, T0 + 2 * SECOND);
      await outbox.dead(dead.id, 'REFUSED', T0 + 3 * SECOND);
      const removed = await added();
      await outbox.remove(removed.id);
      const before = await Promise.all([queued, merged, delivered, dead].map((delivery) => outbox.get(delivery.id)));
      const countsBefore = await outbox.counts();

      outbox = await reopen();
      expect(await Promise.all([queued, merged, delivered, dead].map((delivery) => outbox.get(delivery.id)))).toEqual(before);
      expect(await outbox.get(removed.id)).toBeUndefined();
      expect(await outbox.counts()).toEqual(countsBefore);
    });

    it('claims a delivery left sending before a reopen again once its lease is over', async () => {
      const reopen = opened.reopen;
      if (!reopen) return;
      const claim = await claimed();

      outbox = await reopen();
      expect(await outbox.get(claim.id)).toEqual(claim);
      expect(await outbox.claimDue(claim.leaseUntil! - 1, LEASE_MS, 10)).toEqual([]);
      expect(await outbox.claimDue(claim.leaseUntil!, LEASE_MS, 10)).toMatchObject([{ id: claim.id, state: 'sending', attempts: 2 }]);
    });
  });
}
