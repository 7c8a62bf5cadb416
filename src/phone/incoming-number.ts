import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

/** The forms a source may search for; each CRM stores and indexes numbers differently. */
export interface SearchVariants {
  /** `+41789072228` */
  readonly e164: string;
  /** `41789072228`: E.164 without the plus, as the CONNECTOR sends it */
  readonly e164Digits: string;
  /** `0789072228`: national form with the trunk prefix where the country has one */
  readonly national: string;
  /** `789072228`: national significant number */
  readonly nationalSignificant: string;
  /** `0041789072228` */
  readonly international00: string;
}

export interface PhoneIncomingNumber extends SearchVariants {
  readonly kind: 'phone';
  readonly country: CountryCode | undefined;
  readonly callingCode: string;
}

/** An internal extension (up to 6 digits), e.g. `201`; only internal phone books can match it. */
export interface ExtensionIncomingNumber {
  readonly kind: 'extension';
  readonly extension: string;
}

export type IncomingNumber = PhoneIncomingNumber | ExtensionIncomingNumber;

export const MAX_EXTENSION_DIGITS = 6;
/**
 * Longer than any written phone number: E.164 allows 15 digits; with `00`, spaces, brackets and an
 * `(0)` people type about 25 characters. Anything longer is not a number, whatever it holds.
 */
export const MAX_NUMBER_LENGTH = 40;

/** Too long to be a phone number, spaces around it left aside (checked before anything else is done with it). */
export function tooLongForANumber(raw: string): boolean {
  return raw.length > MAX_NUMBER_LENGTH * 4 || raw.trim().length > MAX_NUMBER_LENGTH;
}

const FORMATTING = /[\s().\-/]/g;

/**
 * Reads the number the CONNECTOR sends (`41789072228`, `+41…`, `0041…`, `078…`, `201`) into one value.
 * Returns undefined for a withheld or unreadable number: the lookup then finds nothing.
 */
export function normalizeIncoming(raw: string, region: CountryCode): IncomingNumber | undefined {
  if (tooLongForANumber(raw)) return undefined;
  const trimmed = raw.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (digits === '') return undefined;
  if (/[a-z]/i.test(trimmed)) return undefined;

  const compact = trimmed.replace(FORMATTING, '');
  if (!/^\+?\d+$/.test(compact)) return undefined;

  if (!compact.startsWith('+') && digits.length <= MAX_EXTENSION_DIGITS) {
    return { kind: 'extension', extension: digits };
  }

  const parsed = pickInterpretation(interpretations(compact, digits, region));
  return parsed ? toIncoming(parsed) : undefined;
}

/** The readings of a number, most likely first; generated lazily because each parse costs. */
function* interpretations(compact: string, digits: string, region: CountryCode): Generator<PhoneNumber | undefined> {
  if (compact.startsWith('+')) {
    yield parsePhoneNumberFromString(compact);
  } else if (digits.startsWith('00')) {
    yield parsePhoneNumberFromString(`+${digits.slice(2)}`);
  } else if (digits.startsWith('0')) {
    yield parsePhoneNumberFromString(digits, region);
  } else {
    // CONNECTOR style: E.164 without the plus; a national number without trunk prefix is the fallback
    // (US/CA numbers, or countries whose numbers have no trunk prefix).
    yield parsePhoneNumberFromString(`+${digits}`);
    yield parsePhoneNumberFromString(digits, region);
  }
}

/** The first valid reading, else the first possible one. */
function pickInterpretation(candidates: Iterable<PhoneNumber | undefined>): PhoneNumber | undefined {
  let possible: PhoneNumber | undefined;
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    if (candidate.isValid()) return candidate;
    if (possible === undefined && candidate.isPossible()) possible = candidate;
  }
  return possible;
}

function toIncoming(number: PhoneNumber): PhoneIncomingNumber {
  const e164Digits = number.number.slice(1);
  let national: string | undefined;
  return {
    kind: 'phone',
    country: number.country,
    callingCode: number.countryCallingCode,
    e164: number.number,
    e164Digits,
    // Formatting costs as much as parsing; only searches (not cached answers) need this form.
    get national(): string {
      return (national ??= number.formatNational().replace(/\D/g, ''));
    },
    nationalSignificant: number.nationalNumber,
    international00: `00${e164Digits}`,
  };
}
