import { storedTails, type PhoneIncomingNumber } from '../../phone';
import type { SugarModule } from './sugar.settings';

/** Phone fields per module (crm-apis.md §3.5). */
export const PHONE_FIELDS: Readonly<Record<SugarModule, readonly string[]>> = {
  Contacts: ['phone_work', 'phone_mobile', 'phone_home', 'phone_other', 'assistant_phone'],
  Leads: ['phone_work', 'phone_mobile', 'phone_home', 'phone_other'],
  Accounts: ['phone_office', 'phone_alternate'],
};

/**
 * `[{"$or":[{"phone_work":{"$contains":"78 907 22 28"}}, …]}]` over a module's phone fields. `$contains`
 * rather than `$ends`, so a value followed by an extension (`… ext 12`) is found too.
 */
export function phoneFilter(module: SugarModule, number: PhoneIncomingNumber): unknown[] {
  const tails = storedTails(number);
  return [{ $or: PHONE_FIELDS[module].flatMap((field) => tails.map((tail) => ({ [field]: { $contains: tail } }))) }];
}
