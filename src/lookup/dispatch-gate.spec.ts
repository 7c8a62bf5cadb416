import { DispatchGate, MAX_HOLD_MS } from './dispatch-gate';

/** Turns of an event loop run by hand, with a clock that moves only when told. */
class Turns {
  private queued: Array<() => void> = [];
  clock = 0;
  readonly schedule = (callback: () => void): void => {
    this.queued.push(callback);
  };
  readonly now = (): number => this.clock;

  /** Runs the callbacks queued for this turn (those they queue wait for the next), then lets promises settle. */
  async turn(): Promise<void> {
    const due = this.queued;
    this.queued = [];
    for (const callback of due) callback();
    await Promise.resolve();
  }

  get pending(): number {
    return this.queued.length;
  }
}

function gateOn(turns: Turns): DispatchGate {
  return new DispatchGate(turns.schedule, turns.now);
}

/** Whether each promise has settled yet. */
function watch(promises: Array<Promise<void>>): boolean[] {
  const settled = promises.map(() => false);
  promises.forEach((promise, i) => void promise.then(() => (settled[i] = true)));
  return settled;
}

describe('DispatchGate', () => {
  it('opens in the next turn when no connection is being accepted (kept-alive callers are not held)', async () => {
    const turns = new Turns();
    const gate = gateOn(turns);
    const settled = watch([gate.open(), gate.open()]);
    expect(settled).toEqual([false, false]);
    await turns.turn();
    expect(settled).toEqual([true, true]);
    expect(turns.pending).toBe(0);
  });

  it('holds while each turn accepts another connection, then lets every lookup read meanwhile ask at once', async () => {
    const turns = new Turns();
    const gate = gateOn(turns);
    gate.connectionAccepted(); // the first caller's connection
    const first = watch([gate.open()]);
    await turns.turn(); // that connection was accepted since the gate last looked: a burst may be arriving
    expect(first).toEqual([false]);

    gate.connectionAccepted(); // the burst's next connection, one per turn
    const second = watch([gate.open()]);
    await turns.turn();
    expect([...first, ...second]).toEqual([false, false]);

    const third = watch([gate.open()]); // the last request is read; no new connection in this turn
    await turns.turn();
    expect([...first, ...second, ...third]).toEqual([true, true, true]);
  });

  it(`holds a lookup at most ${MAX_HOLD_MS} ms, however many connections keep arriving`, async () => {
    const turns = new Turns();
    const gate = gateOn(turns);
    const settled = watch([gate.open()]);
    for (let elapsed = 0; elapsed < MAX_HOLD_MS; elapsed += 1) {
      gate.connectionAccepted();
      await turns.turn();
      expect(settled).toEqual([false]);
      turns.clock += 1;
    }
    gate.connectionAccepted();
    await turns.turn();
    expect(settled).toEqual([true]);
  });

  it('starts a new hold for the lookups that arrive after it opened', async () => {
    const turns = new Turns();
    const gate = gateOn(turns);
    const before = watch([gate.open()]);
    await turns.turn();
    expect(before).toEqual([true]);

    turns.clock = 100;
    gate.connectionAccepted();
    const after = watch([gate.open()]);
    await turns.turn();
    expect(after).toEqual([false]);
    await turns.turn();
    expect(after).toEqual([true]);
  });

  it('runs on the event loop by default: the lookup asks in a later turn, after what that turn queued before it', async () => {
    const gate = new DispatchGate();
    const order: string[] = [];
    setImmediate(() => order.push('queued before'));
    const asked = gate.open().then(() => order.push('asked'));
    order.push('this turn');
    await asked;
    expect(order).toEqual(['this turn', 'queued before', 'asked']);
  });
});
