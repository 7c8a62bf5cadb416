import type { CountryCode } from 'libphonenumber-js/max';
import type { IncomingNumber } from './incoming-number';
import { readStoredPhone } from './stored-phone';

/**
 * How strongly a stored phone value shows that a record is the caller. Higher is stronger;
 * `None` means the record is not the caller, whatever the source claimed.
 */
export enum MatchStrength {
  None = 0,
  /** Only equal once a missing `+` is assumed (`41 79 222 33 44` stored in a non-Swiss tenant). */
  AssumedCountryCode = 60,
  /** Same E.164, but the stored value is not a valid number by the numbering plan's metadata. */
  PossibleNumber = 70,
  /** Same E.164 main number; the stored value adds an extension, so the caller may be a colleague. */
  MainNumberOfExtension = 90,
  Exact = 100,
}

const LETTERS = /[a-z]/i;

/** Scores one stored phone value (as a user typed it in a CRM) against the incoming number. */
export function scoreStoredPhone(stored: string, incoming: IncomingNumber, region: CountryCode): MatchStrength {
  if (incoming.kind === 'extension') {
    const trimmed = stored.trim();
    const isPlainDigits = trimmed !== '' && !LETTERS.test(trimmed) && !trimmed.includes('+');
    return isPlainDigits && trimmed.replace(/\D/g, '') === incoming.extension ? MatchStrength.Exact : MatchStrength.None;
  }

  const { asWritten, withAssumedPlus } = readStoredPhone(stored, region);
  if (asWritten?.number === incoming.e164) {
    if (asWritten.ext) return MatchStrength.MainNumberOfExtension;
    return asWritten.isValid() ? MatchStrength.Exact : MatchStrength.PossibleNumber;
  }
  return withAssumedPlus?.number === incoming.e164 ? MatchStrength.AssumedCountryCode : MatchStrength.None;
}

/** The strongest evidence among a record's stored phone values. */
export function scoreStoredPhones(
  stored: readonly string[],
  incoming: IncomingNumber,
  region: CountryCode,
): MatchStrength {
  let best = MatchStrength.None;
  for (const value of stored) {
    const strength = scoreStoredPhone(value, incoming, region);
    if (strength > best) best = strength;
    if (best === MatchStrength.Exact) break;
  }
  return best;
}
