import { DateTime } from 'luxon';

export type TimeReading = { readonly ok: true; readonly value: Date | undefined } | { readonly ok: false; readonly expected: string };

export const EXPECTED_TIME =
  'an ISO 8601 time (2026-11-24T10:15:00+01:00), "YYYY-MM-DD HH:mm:ss", or Unix epoch seconds or milliseconds';

/** Epoch values above this are milliseconds: 1e11 seconds is in the year 5138, 1e11 ms in 1973. */
const EPOCH_MILLISECONDS_FROM = 1e11;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/**
 * Reads a call time as the CONNECTOR may send it. A time without an offset is read in `timezone`.
 * Empty string and null mean "not set". Times outside 2000–2100 are refused: they are a unit mistake.
 */
export function parseCallTime(raw: unknown, timezone: string): TimeReading {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { ok: true, value: undefined };
  const date = typeof raw === 'number' ? fromEpoch(raw) : typeof raw === 'string' ? fromText(raw.trim(), timezone) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getTime() < EARLIEST || date.getTime() >= LATEST) {
    return { ok: false, expected: EXPECTED_TIME };
  }
  return { ok: true, value: date };
}

function fromEpoch(value: number): Date | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  return new Date(value >= EPOCH_MILLISECONDS_FROM ? value : value * 1000);
}

function fromText(text: string, timezone: string): Date | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return fromEpoch(Number(text));
  const options = { zone: timezone, setZone: true };
  const iso = DateTime.fromISO(text, options);
  if (iso.isValid) return iso.toJSDate();
  const sql = DateTime.fromSQL(text, options);
  return sql.isValid ? sql.toJSDate() : undefined;
}

/** The call's times as read, by the name of the input that sent each. */
export interface CallTimes {
  readonly startedTime: Date;
  readonly answeredTime?: Date;
  readonly endedTime?: Date;
  readonly declinedTime?: Date;
}

/** Which time may not come before which: answered, declined and ended follow the start; ended follows the answer. */
const ORDER: ReadonlyArray<readonly [later: keyof CallTimes, earlier: keyof CallTimes]> = [
  ['answeredTime', 'startedTime'],
  ['declinedTime', 'startedTime'],
  ['endedTime', 'startedTime'],
  ['endedTime', 'answeredTime'],
];
/** Times less than a second apart are the same time: the CONNECTOR's times count whole seconds. */
const SAME_SECOND_MS = 1000;

/**
 * What is out of order among a call's times, one sentence per input at most, each naming both inputs
 * with their values as the caller wrote them (`shown`): "inputs.endedTime (2026-11-24 10:14:00) is
 * before inputs.startedTime (2026-11-24 10:15:00)".
 */
export function timesOutOfOrder(times: CallTimes, shown: (field: keyof CallTimes) => string): string[] {
  const problems = new Map<keyof CallTimes, string>();
  for (const [later, earlier] of ORDER) {
    const [laterTime, earlierTime] = [times[later], times[earlier]];
    if (problems.has(later) || !laterTime || !earlierTime || earlierTime.getTime() - laterTime.getTime() < SAME_SECOND_MS) continue;
    problems.set(later, `inputs.${later} (${shown(later)}) is before inputs.${earlier} (${shown(earlier)})`);
  }
  return [...problems.values()];
}
