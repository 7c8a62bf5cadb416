import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

export interface StoredPhoneReadings {
  /** The value read as written: a country code if it has one, else the tenant's region. */
  readonly asWritten: PhoneNumber | undefined;
  /** The digits read as an international number whose `+` was left out (`41 79 222 33 44`). */
  readonly withAssumedPlus: PhoneNumber | undefined;
}

const LETTERS = /[a-z]/i;

/**
 * The ways a phone value typed into a CRM can be read. Formatting, `(0)` and extensions
 * (`ext 12`, `x12`, `#12`) are handled by libphonenumber; `00` is read as the international prefix.
 */
export function readStoredPhone(stored: string, region: CountryCode): StoredPhoneReadings {
  const withPlus = stored.trim().replace(/^00/, '+');
  if (withPlus === '') return { asWritten: undefined, withAssumedPlus: undefined };
  const asWritten = parsePhoneNumberFromString(withPlus, region);
  const mayLackPlus = !withPlus.startsWith('+') && !LETTERS.test(withPlus);
  const withAssumedPlus = mayLackPlus ? parsePhoneNumberFromString(`+${withPlus.replace(/\D/g, '')}`) : undefined;
  return { asWritten, withAssumedPlus };
}
