import { performance } from 'node:perf_hooks';

/** The longest a lookup waits for the connections of its burst to be accepted before asking its sources. */
export const MAX_HOLD_MS = 5;

/**
 * When the lookups read so far may ask their sources.
 *
 * Node 20's libuv accepts one connection per turn of the event loop. A burst of callers on fresh
 * connections (a call ringing on ten phones, behind a proxy that does not keep connections alive) is
 * therefore read one turn at a time; when each turn also asks the CRMs for the lookup read in the turn
 * before (about 2 ms of CPU), the tenth caller is read some 20 ms after it connected. Its deadline,
 * which counts from then, ends that much later on the caller's clock. The gate holds the asking for as
 * long as each turn accepts another connection, at most {@link MAX_HOLD_MS}, then lets every lookup read
 * meanwhile ask at once. Kept-alive connections are read together in one turn and are not held.
 */
export class DispatchGate {
  private accepted = 0;
  private acceptedAtLastTurn = 0;
  private waiting: Array<() => void> = [];
  private holdingSince = 0;

  constructor(
    private readonly nextTurn: (callback: () => void) => void = setImmediate,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The HTTP server accepted a connection. */
  connectionAccepted(): void {
    this.accepted += 1;
  }

  /** How many connections the server has told of. */
  get connectionsAccepted(): number {
    return this.accepted;
  }

  /** Resolves in a later turn, once a turn has passed without a new connection (or the hold is up). */
  open(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) {
        this.holdingSince = this.now();
        this.nextTurn(this.check);
      }
    });
  }

  private readonly check = (): void => {
    const acceptedThisTurn = this.accepted !== this.acceptedAtLastTurn;
    this.acceptedAtLastTurn = this.accepted;
    if (acceptedThisTurn && this.now() - this.holdingSince < MAX_HOLD_MS) {
      this.nextTurn(this.check);
      return;
    }
    const ready = this.waiting;
    this.waiting = [];
    for (const resolve of ready) resolve();
  };
}
