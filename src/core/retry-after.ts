/**
 * A `Retry-After` header (RFC 9110 §10.2.3) as the milliseconds to wait from `now`: delta-seconds
 * (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the two obsolete forms RFC 9110 §5.6.7
 * says a recipient must accept). A date already past means 0. Undefined when the header is missing or
 * unreadable (`1.5`, `-3`, `soon`, a date of another format), or says more than we can count.
 */
export function parseRetryAfter(header: unknown, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? (header as unknown[])[0] : header;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** An HTTP-date as a time in ms; undefined when `text` is none (or names a day that does not exist). */
function parseHttpDate(text: string, now: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(Number(match[3]), match[2]!, Number(match[1]), match.slice(4, 7));
  match = RFC850_DATE.exec(text);
  if (match) return utc(fullYear(Number(match[3]), now), match[2]!, Number(match[1]), match.slice(4, 7));
  match = ASCTIME_DATE.exec(text);
  if (match) return utc(Number(match[6]), match[1]!, Number(match[2]), match.slice(3, 6));
  return undefined;
}

/** A two-digit year: the one that is not more than 50 years in the future (RFC 9110 §5.6.7). */
function fullYear(twoDigits: number, now: number): number {
  const century = Math.floor(new Date(now).getUTCFullYear() / 100) * 100;
  const year = century + twoDigits;
  return year > new Date(now).getUTCFullYear() + 50 ? year - 100 : year;
}

function utc(year: number, monthName: string, day: number, time: readonly (string | undefined)[]): number | undefined {
  const month = MONTHS.indexOf(monthName);
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const at = new Date(Date.UTC(year, month, day, hours, minutes, Math.min(seconds, 59)));
  // Date.UTC rolls 31 Feb over into March: such a day does not exist.
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month || at.getUTCDate() !== day) return undefined;
  return at.getTime();
}
