/**
 * What the admin's console and `npm run lookup` see of lookups: the recent ones (a bounded ring in
 * memory, gone on restart), per-source figures over the last hour, and one lookup explained step by step.
 * Numbers are masked everywhere here; secrets never appear.
 */

/** How one source took part in one lookup. */
export type SourceOutcomeName = 'ok' | 'cached' | 'stale' | 'timeout' | 'error' | 'skipped';

export interface RecentSourceOutcome {
  readonly source: string;
  readonly outcome: SourceOutcomeName;
  /** Time the source took (absent when it was not asked: cached or skipped). */
  readonly ms?: number;
  /** How many verified records it gave. */
  readonly matches: number;
  /** Why it did not answer (error code and reason, "circuit open", …), never a secret or a number. */
  readonly reason?: string;
}

/** One lookup as the "recent lookups" page lists it. */
export interface RecentLookup {
  /** ISO time of the request. */
  readonly at: string;
  readonly tenant: string;
  /** Masked (`maskPhoneNumber`), or `withheld`. */
  readonly number: string;
  readonly totalMs: number;
  readonly cards: number;
  readonly sources: readonly RecentSourceOutcome[];
}

/** One minute of one tenant's source. */
export interface SourceMinute {
  /** Start of the minute, ms since the epoch. */
  readonly minute: number;
  readonly lookups: number;
  readonly errors: number;
  /** Of the source's own answer times in that minute (absent without any). */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
}

/** The overview's row for one tenant's source. */
export interface SourceOverview {
  readonly tenant: string;
  readonly source: string;
  readonly state: 'ok' | 'slow' | 'failing' | 'circuit open' | 'Redis down' | 'idle';
  /** Why the state is not `ok` or `idle`, in words (counts, the last failure's code and reason), never a number or secret. */
  readonly reason?: string;
  /** The last 60 minutes, oldest first, one entry per minute (empty minutes included, with zeros). */
  readonly lastHour: readonly SourceMinute[];
}

/** A candidate one source returned, as the explainer shows it. */
export interface ExplainedCandidate {
  readonly recordId: string;
  readonly objectType: string;
  readonly name: string;
  readonly company?: string;
  /** Its stored phone values as the CRM returned them. */
  readonly phones: readonly string[];
  /** The core's verdict on its phones against the caller's number (`exact`, `national`, …, or `none`). */
  readonly strength: string;
  /** Why it is not among the cards (absent when it is), e.g. "no stored phone matches the number". */
  readonly dropped?: string;
}

export interface ExplainedSource {
  readonly source: string;
  readonly displayName: string;
  readonly outcome: SourceOutcomeName;
  readonly ms?: number;
  readonly reason?: string;
  /** The queries sent, as text (SOQL/SOSL, request bodies, URLs), secrets masked. */
  readonly queries: readonly string[];
  readonly candidates: readonly ExplainedCandidate[];
  /** What else shaped its answer: answered from the cache, a part not searched, a stale answer standing in, a fallback taken. */
  readonly notes?: readonly string[];
}

/** A lookup explained: what the CONNECTOR would get and why. */
export interface LookupExplanation {
  readonly tenant: string;
  /** As typed by the admin. */
  readonly input: string;
  /** The number as the gateway read it: its kind and forms (E.164, national), or why it could not. */
  readonly readAs: Readonly<Record<string, string>>;
  readonly bypassedCache: boolean;
  readonly totalMs: number;
  readonly sources: readonly ExplainedSource[];
  /** The ranked cards, exactly as the CONNECTOR would receive them. */
  readonly cards: readonly unknown[];
}
