import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PhoneIncomingNumber } from './incoming-number';

/** `0` of `078 907 22 28`; empty where the country has no trunk prefix (US) or keeps it in the number (IT). */
function trunkPrefix(number: PhoneIncomingNumber): string {
  const extra = number.national.length - number.nationalSignificant.length;
  return extra > 0 ? number.national.slice(0, extra) : '';
}

/**
 * The tails a stored value of this number commonly has, as people type it: for CRMs whose filters
 * compare raw strings (Sugar's `$ends:"5551212"` misses `555-1212`), so each grouping is asked for
 * itself. Every tail leaves out the country code and trunk prefix, so `+41 78…`, `078…` and `0041 78…`
 * all contain it.
 */
export function storedTails(number: PhoneIncomingNumber): string[] {
  const parsed = parsePhoneNumberFromString(number.e164);
  const national = parsed?.formatNational() ?? number.national;
  // The national form without its trunk prefix: "078 907 22 28" → "78 907 22 28"; "(415) 555-1212" stays.
  const trunk = trunkPrefix(number);
  const grouped = trunk && national.startsWith(trunk) ? national.slice(trunk.length) : national;
  const groups = grouped.replace(/[()]/g, ' ').trim().split(/[\s\-./]+/).filter((g) => g !== '');
  const endings = new Set<string>([number.nationalSignificant, grouped.replace(/^\(/, '')]);
  for (const separator of [' ', '-', '.', '']) endings.add(groups.join(separator));
  if (groups.length > 1) endings.add(`${groups[0]}/${groups.slice(1).join(' ')}`);
  return [...endings].filter((e) => e.replace(/\D/g, '').length >= 6);
}

/**
 * Whole values people commonly type for this number, for a CRM that compares a stored phone exactly
 * (HubSpot's `phone` filter): each of `storedTails` after each usual start (the trunk prefix, `+41 `,
 * `0041 `, `+41 (0)`), E.164 with and without its `+`, and the national and international formats.
 * No letters, so they are already lower case (HubSpot's `IN` wants lower-case values).
 */
export function writtenForms(number: PhoneIncomingNumber): string[] {
  const code = number.callingCode;
  const trunk = trunkPrefix(number);
  const parsed = parsePhoneNumberFromString(number.e164);
  const forms = new Set<string>([number.e164, number.e164Digits]);
  if (parsed) {
    forms.add(parsed.formatNational());
    forms.add(parsed.formatInternational());
    if (!trunk) forms.add(`+${code} ${parsed.formatNational()}`); // "+1 (415) 555-1212"
  }
  for (const tail of storedTails(number)) {
    const gap = /^\d+$/.test(tail) ? '' : ' ';
    forms.add(`${trunk}${tail}`);
    forms.add(`+${code}${gap}${tail}`);
    forms.add(`00${code}${gap}${tail}`);
    if (trunk) forms.add(`+${code} (${trunk})${tail}`);
  }
  // A tail cut inside brackets ("415) 555-1212") is a part of a value, never a whole one.
  return [...forms].filter((form) => (form.match(/\(/g) ?? []).length === (form.match(/\)/g) ?? []).length);
}

/** The national form grouped as libphonenumber formats it for the number's country: `044 668 18 00`, `(415) 555-1212`. */
export function groupedNational(number: PhoneIncomingNumber): string {
  return parsePhoneNumberFromString(number.e164)?.formatNational() ?? number.national;
}

/** The international form grouped as libphonenumber formats it: `+41 44 668 18 00`, `+1 415 555 1212`. */
export function groupedInternational(number: PhoneIncomingNumber): string {
  return parsePhoneNumberFromString(number.e164)?.formatInternational() ?? number.e164;
}
