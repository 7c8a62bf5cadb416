import type { LookupSource } from '../core/source';
import { SourceError } from '../core/source-error';

/**
 * A source's per-tenant state (client, tokens, caches), keyed by the tenant's settings object for that
 * source. A reloaded tenant file with other settings gets new state; one whose settings for this source
 * did not change keeps the same object, and with it its sign-in. Lookups and workflows still in flight on
 * the previous settings keep theirs until they end; the state is then collected with them.
 */
export class AttachedTenants<S extends object, T> {
  private readonly states = new WeakMap<S, T>();

  constructor(private readonly sourceName: string) {}

  set(settings: S, state: T): void {
    this.states.set(settings, state);
  }

  of(settings: S): T {
    const state = this.states.get(settings);
    if (state === undefined) throw new SourceError('CONFIG', `${this.sourceName} is not set up for this tenant`);
    return state;
  }

  find(settings: S): T | undefined {
    return this.states.get(settings);
  }
}

/**
 * A source that keeps each tenant's state (its client) in `tenants`, set when the tenant is attached:
 * its lookups and its workflow handlers (`sourceWorkflows`) find a tenant's client there, the same way.
 */
export interface SourceWithTenants<S extends object, T> extends LookupSource<S> {
  readonly tenants: AttachedTenants<S, T>;
}
