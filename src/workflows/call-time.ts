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
