import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PhoneIncomingNumber } from '../../phone';
import type { SugarModule } from './sugar.settings';

/** Phone fields per module (crm-apis.md §3.5). */
export const PHONE_FIELDS: Readonly<Record<SugarModule, readonly string[]>> = {
  Contacts: ['phone_work', 'phone_mobile', 'phone_home', 'phone_other', 'assistant_phone'],
  Leads: ['phone_work', 'phone_mobile', 'phone_home', 'phone_other'],
  Accounts: ['phone_office', 'phone_alternate'],
};

/**
 * The tails a stored value of this number commonly has, as people type it: Sugar's filter API compares
 * raw strings (`$ends:"5551212"` misses `555-1212`), so each grouping is asked for itself. Every tail
 * leaves out the country code and trunk prefix, so `+41 78…`, `078…` and `0041 78…` all contain it.
 */
export function storedTails(number: PhoneIncomingNumber): string[] {
  const parsed = parsePhoneNumberFromString(number.e164);
  const national = parsed?.formatNational() ?? number.national;
  // The national form without its trunk prefix: "078 907 22 28" → "78 907 22 28"; "(415) 555-1212" stays.
  const trunk = number.national.length > number.nationalSignificant.length ? number.national.slice(0, number.national.length - number.nationalSignificant.length) : '';
  const grouped = trunk && national.startsWith(trunk) ? national.slice(trunk.length) : national;
  const groups = grouped.replace(/[()]/g, ' ').trim().split(/[\s\-./]+/).filter((g) => g !== '');
  const endings = new Set<string>([number.nationalSignificant, grouped.replace(/^\(/, '')]);
  for (const separator of [' ', '-', '.', '']) endings.add(groups.join(separator));
  if (groups.length > 1) endings.add(`${groups[0]}/${groups.slice(1).join(' ')}`);
  return [...endings].filter((e) => e.replace(/\D/g, '').length >= 6);
}

/**
 * `[{"$or":[{"phone_work":{"$contains":"78 907 22 28"}}, …]}]` over a module's phone fields. `$contains`
 * rather than `$ends`, so a value followed by an extension (`… ext 12`) is found too.
 */
export function phoneFilter(module: SugarModule, number: PhoneIncomingNumber): unknown[] {
  const tails = storedTails(number);
  return [{ $or: PHONE_FIELDS[module].flatMap((field) => tails.map((tail) => ({ [field]: { $contains: tail } }))) }];
}
