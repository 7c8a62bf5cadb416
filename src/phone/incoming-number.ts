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

const FORMATTING = /[\s().\-/]/g;

/**
 * Reads the number the CONNECTOR sends (`41789072228`, `+41…`, `0041…`, `078…`, `201`) into one value.
 * Returns undefined for a withheld or unreadable number: the lookup then finds nothing.
 */
export function normalizeIncoming(raw: string, region: CountryCode): IncomingNumber | undefined {
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

function interpretations(compact: string, digits: string, region: CountryCode): Array<PhoneNumber | undefined> {
  if (compact.startsWith('+')) return [parsePhoneNumberFromString(compact)];
  if (digits.startsWith('00')) return [parsePhoneNumberFromString(`+${digits.slice(2)}`)];
  if (digits.startsWith('0')) return [parsePhoneNumberFromString(digits, region)];
  // CONNECTOR style: E.164 without the plus; a national number without trunk prefix is the fallback
  // (US/CA numbers, or countries whose numbers have no trunk prefix).
  return [parsePhoneNumberFromString(`+${digits}`), parsePhoneNumberFromString(digits, region)];
}

function pickInterpretation(candidates: Array<PhoneNumber | undefined>): PhoneNumber | undefined {
  const readable = candidates.filter((n): n is PhoneNumber => n !== undefined);
  return readable.find((n) => n.isValid()) ?? readable.find((n) => n.isPossible());
}

function toIncoming(number: PhoneNumber): PhoneIncomingNumber {
  const e164Digits = number.number.slice(1);
  return {
    kind: 'phone',
    country: number.country,
    callingCode: number.countryCallingCode,
    e164: number.number,
    e164Digits,
    national: number.formatNational().replace(/\D/g, ''),
    nationalSignificant: number.nationalNumber,
    international00: `00${e164Digits}`,
  };
}
