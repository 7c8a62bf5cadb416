import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** A console session ends after this long without a request… */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** …and this long after its sign-in, whatever its use. */
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at once; past them the least recently used one ends (each sign-in makes one). */
const SESSIONS_KEPT = 1000;

export interface ConsoleSession {
  readonly id: string;
  /** Sent back in a hidden field of every form of this session: a page of another site cannot know it. */
  readonly csrfToken: string;
  readonly startedAt: number;
  lastSeenAt: number;
  /** A line for the next page (what a button did), shown once. */
  notice?: string;
}

export interface SessionClock {
  (): number;
}

/**
 * The admin's console sessions, in this process's memory: a restart (or another replica) asks the admin
 * to sign in again, which is acceptable for a console, and keeps no session secret anywhere on disk.
 */
export class ConsoleSessions {
  private readonly sessions = new LRUCache<string, ConsoleSession>({ max: SESSIONS_KEPT });

  constructor(private readonly now: SessionClock = Date.now) {}

  start(): ConsoleSession {
    const at = this.now();
    const session: ConsoleSession = { id: randomToken(), csrfToken: randomToken(), startedAt: at, lastSeenAt: at };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle time starts again), or undefined: unknown, ended or expired. */
  find(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || id === '') return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const at = this.now();
    if (at - session.lastSeenAt > SESSION_IDLE_MS || at - session.startedAt > SESSION_MAX_AGE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = at;
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** 256 random bits, URL- and cookie-safe. */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whether a form's CSRF field carries the session's token; compared in constant time. */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), digest(session.csrfToken));
}

/** Whether the secret typed at sign-in is `expected` (`ADMIN_TOKEN`); compared in constant time. */
export function sameSecret(expected: string, given: unknown): boolean {
  const typed = typeof given === 'string' ? given.trim() : '';
  return timingSafeEqual(digest(typed), digest(expected)) && typed !== '';
}
