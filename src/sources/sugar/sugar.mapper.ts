import { fieldText, fieldTexts, readCustomData, type CustomDataField } from '../custom-data';
import type { RecordIdPatterns } from '../../core/record-id';
import type { Candidate } from '../../core/source';
import { PHONE_FIELDS } from './sugar-phone-filters';
import type { SugarModule } from './sugar.settings';

export const SUGAR_SOURCE_ID = 'sugar';

/** Sugar's ids are UUIDs, or (imported and demo data) other ids of up to 36 letters, digits, - and _. */
const SUGAR_ID = /^[A-Za-z0-9_-]{1,36}$/;
/** A user id (`assigned_user_id`) is a record id like any other; a longer one does not fit Sugar's column. */
export const SUGAR_USER_IDS = SUGAR_ID;
/** What a lookup finds and what the workflows write. */
export const SUGAR_RECORD_IDS: RecordIdPatterns = { Contacts: SUGAR_ID, Leads: SUGAR_ID, Accounts: SUGAR_ID, Calls: SUGAR_ID, Cases: SUGAR_ID };

/** A record as Sugar's filter and global search APIs return it. */
export interface SugarRecord {
  readonly id: string;
  readonly _module: string;
  readonly [field: string]: unknown;
}

export function recordUrl(siteUrl: string, module: string, id: string): string {
  return `${siteUrl}/#${module}/${id}`;
}

export function toCandidate(record: SugarRecord, siteUrl: string, custom: readonly CustomDataField[]): Candidate | undefined {
  const module = record._module as SugarModule;
  if (!(module in PHONE_FIELDS)) return undefined;
  const personName = [fieldText(record.first_name), fieldText(record.last_name)].filter(Boolean).join(' ');
  const accountId = module === 'Accounts' ? record.id : fieldText(record.account_id);
  const modified = fieldText(record.date_modified);
  return {
    sourceId: SUGAR_SOURCE_ID,
    objectType: module,
    recordId: record.id,
    kind: module === 'Accounts' ? 'company' : 'person',
    name: fieldText(record.name) ?? (personName || record.id),
    company: module === 'Accounts' ? undefined : fieldText(record.account_name),
    contactUri: recordUrl(siteUrl, module, record.id),
    companyUri: accountId ? recordUrl(siteUrl, 'Accounts', accountId) : undefined,
    phones: fieldTexts(PHONE_FIELDS[module], (field) => record[field]),
    customData: readCustomData(custom, (field) => record[field]),
    modifiedAt: modified ? new Date(modified) : undefined,
  };
}
