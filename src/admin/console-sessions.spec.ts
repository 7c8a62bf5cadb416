import { ConsoleSessions, csrfMatches, sameSecret, SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from './console-sessions';

describe('the console sessions', () => {
  let now: number;
  let sessions: ConsoleSessions;
  beforeEach(() => {
    now = Date.UTC(2026, 11, 1, 9);
    sessions = new ConsoleSessions(() => now);
  });

  it('starts sessions with ids and CSRF tokens of 256 random bits, each its own', () => {
    const a = sessions.start();
    const b = sessions.start();
    for (const value of [a.id, a.csrfToken, b.id, b.csrfToken]) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([a.id, a.csrfToken, b.id, b.csrfToken]).size).toBe(4);
    expect(sessions.find(a.id)).toBe(a);
    expect(sessions.find(b.id)).toBe(b);
  });

  it('finds nothing for an unknown, empty or missing id', () => {
    sessions.start();
    expect(sessions.find('not-a-session')).toBeUndefined();
    expect(sessions.find('')).toBeUndefined();
    expect(sessions.find(undefined)).toBeUndefined();
  });

  it('ends a session after its idle time, and each request starts that time again', () => {
    const session = sessions.start();
    now += SESSION_IDLE_MS - 1;
    expect(sessions.find(session.id)).toBe(session);
    now += SESSION_IDLE_MS - 1;
    expect(sessions.find(session.id)).toBe(session);
    now += SESSION_IDLE_MS + 1;
    expect(sessions.find(session.id)).toBeUndefined();
    now -= SESSION_IDLE_MS; // gone for good, even if the clock were earlier
    expect(sessions.find(session.id)).toBeUndefined();
  });

  it('ends a session at its maximum age, however busy', () => {
    const session = sessions.start();
    const end = now + SESSION_MAX_AGE_MS;
    while (now + SESSION_IDLE_MS / 2 <= end) {
      now += SESSION_IDLE_MS / 2;
      expect(sessions.find(session.id)).toBe(session);
    }
    now = end + 1;
    expect(sessions.find(session.id)).toBeUndefined();
  });

  it('ends a session on sign-out', () => {
    const session = sessions.start();
    const other = sessions.start();
    sessions.end(session.id);
    expect(sessions.find(session.id)).toBeUndefined();
    expect(sessions.find(other.id)).toBe(other);
  });

  it('keeps at most 1000 sessions: the least recently used ends first', () => {
    const first = sessions.start();
    const second = sessions.start();
    for (let i = 0; i < 998; i++) sessions.start();
    expect(sessions.find(first.id)).toBe(first); // used: now the most recent
    sessions.start();
    expect(sessions.size).toBe(1000);
    expect(sessions.find(second.id)).toBeUndefined();
    expect(sessions.find(first.id)).toBe(first);
  });
});

describe('the console CSRF check', () => {
  const sessions = new ConsoleSessions();

  it("accepts the session's own token only", () => {
    const session = sessions.start();
    const other = sessions.start();
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, other.csrfToken)).toBe(false);
    expect(csrfMatches(session, `${session.csrfToken}x`)).toBe(false);
    expect(csrfMatches(session, session.csrfToken.slice(1))).toBe(false);
    expect(csrfMatches(session, session.id)).toBe(false);
  });

  it('refuses a missing, empty or non-text field', () => {
    const session = sessions.start();
    for (const given of [undefined, null, '', 42, [session.csrfToken], { token: session.csrfToken }]) expect(csrfMatches(session, given)).toBe(false);
  });
});

describe('the sign-in secret check', () => {
  const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

  it('accepts the admin token (spaces around it ignored) and nothing else', () => {
    expect(sameSecret(ADMIN_TOKEN, ADMIN_TOKEN)).toBe(true);
    expect(sameSecret(ADMIN_TOKEN, ` ${ADMIN_TOKEN}\n`)).toBe(true);
    for (const given of ['', ' ', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}0`, ADMIN_TOKEN.toUpperCase(), undefined, 123, [ADMIN_TOKEN]]) {
      expect(sameSecret(ADMIN_TOKEN, given)).toBe(false);
    }
  });
});
