import { IsIn, IsOptional } from 'class-validator';
import type { Candidate, LookupSource, SourceSearch } from '../../src/core/source';

export type Script =
  | { readonly kind: 'answer'; readonly candidates: readonly Candidate[]; readonly delayMs?: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'throw'; readonly error: Error };

/**
 * A lookup source for e2e tests of the core: answers, hangs until aborted, or throws, as scripted.
 * Enabled for a tenant whose file says `<PREFIX>_ENABLED=on`.
 */
export class ScriptedSource implements LookupSource {
  readonly keyPrefix: string;
  readonly defaultDisplayName: string;
  readonly badge = { letters: 'T', color: '#555555' };
  /** The object types the tests' records and workflow handlers use; ids as the recording handlers make them. */
  readonly recordIds = Object.fromEntries(['Contact', 'Lead', 'Account', 'Task', 'Case', 'entry'].map((type) => [type, /^[\w-]{1,64}$/]));
  readonly settingsSchema: new () => object;
  readonly searches: Array<SourceSearch<object>> = [];
  readonly abortedSearches: Array<SourceSearch<object>> = [];

  constructor(
    readonly id: string,
    public script: Script,
  ) {
    this.keyPrefix = id.toUpperCase();
    this.defaultDisplayName = `Scripted ${id}`;
    const enabledKey = `${this.keyPrefix}_ENABLED`;
    class Settings {}
    IsOptional()(Settings.prototype, enabledKey);
    IsIn(['on'])(Settings.prototype, enabledKey);
    this.settingsSchema = Settings;
  }

  isEnabled(settings: object): boolean {
    return (settings as Record<string, unknown>)[`${this.keyPrefix}_ENABLED`] === 'on';
  }

  async search(query: SourceSearch<object>): Promise<readonly Candidate[]> {
    this.searches.push(query);
    const script = this.script;
    switch (script.kind) {
      case 'answer':
        if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
        return script.candidates;
      case 'throw':
        throw script.error;
      case 'hang':
        return new Promise((_, reject) => {
          query.signal.addEventListener('abort', () => {
            this.abortedSearches.push(query);
            reject(query.signal.reason instanceof Error ? query.signal.reason : new Error('aborted'));
          });
        });
    }
  }
}
