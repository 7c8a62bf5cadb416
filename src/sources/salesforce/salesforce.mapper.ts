import type { RecordIdPattern, RecordIdPatterns } from '../../core/record-id';
import type { Candidate } from '../../core/source';
import { PHONE_FIELDS } from './salesforce-fields';
import { fieldText, fieldTexts, readCustomData, type CustomDataField } from '../custom-data';
import type { SalesforceObject } from './salesforce.settings';

export const SALESFORCE_SOURCE_ID = 'salesforce';

/** A Salesforce record id: 15 characters, or 18 with the case-safe suffix. */
export const SALESFORCE_ID = /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 3 characters Salesforce appends to a 15-character id to make it case-safe: for each 5-character
 * chunk, the bits of its upper-case letters (first character lowest) pick one of 32 characters.
 */
export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 15; chunk += 5) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(id15.charAt(chunk + i))) bits |= 1 << i;
    suffix += SUFFIX_ALPHABET.charAt(bits);
  }
  return suffix;
}

/**
 * The ids of one object: its key prefix (the same in every org for standard objects: Contact `003`),
 * 15 characters, or 18 whose suffix matches the first 15. Any other id is malformed: known without asking.
 */
export function salesforceIds(keyPrefix: string): RecordIdPattern {
  return {
    test: (id) => SALESFORCE_ID.test(id) && id.startsWith(keyPrefix) && (id.length === 15 || id.slice(15) === caseSafeSuffix(id.slice(0, 15))),
  };
}

/** What a lookup finds and what the workflows write. */
export const SALESFORCE_RECORD_IDS: RecordIdPatterns = {
  Contact: salesforceIds('003'),
  Lead: salesforceIds('00Q'),
  Account: salesforceIds('001'),
  Task: salesforceIds('00T'),
  Case: salesforceIds('500'),
};
/** The CRM users a record can be assigned to (`OwnerId`). */
export const SALESFORCE_USER_IDS = salesforceIds('005');

/** A record of a SOSL `searchRecords` answer. */
export interface SalesforceRecord {
  readonly attributes: { readonly type: string; readonly url?: string };
  readonly Id: string;
  readonly [field: string]: unknown;
}

/**
 * Lightning record page. My Domain hosts (`acme.my.salesforce.com`, sandboxes, developer editions) map
 * to their `lightning.force.com` twin; any other host keeps its own origin.
 */
export function recordUrl(instanceUrl: string, object: string, id: string): string {
  const base = instanceUrl.replace(/\/+$/, '');
  const myDomain = /^https:\/\/(.+)\.my\.salesforce\.com$/.exec(base);
  const lightning = myDomain ? `https://${myDomain[1]}.lightning.force.com` : base;
  return `${lightning}/lightning/r/${object}/${id}/view`;
}

function read(record: SalesforceRecord, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function toCandidate(record: SalesforceRecord, instanceUrl: string, custom: readonly CustomDataField[]): Candidate | undefined {
  const object = record.attributes.type as SalesforceObject;
  if (!(object in PHONE_FIELDS)) return undefined;
  const accountId = object === 'Account' ? record.Id : fieldText(record.AccountId);
  const company = object === 'Contact' ? fieldText(read(record, 'Account.Name')) : object === 'Lead' ? fieldText(record.Company) : undefined;
  const modified = fieldText(record.LastModifiedDate);
  return {
    sourceId: SALESFORCE_SOURCE_ID,
    objectType: object,
    recordId: record.Id,
    kind: object === 'Account' ? 'company' : 'person',
    name: fieldText(record.Name) ?? fieldText(record.Company) ?? record.Id,
    company,
    contactUri: recordUrl(instanceUrl, object, record.Id),
    companyUri: accountId ? recordUrl(instanceUrl, 'Account', accountId) : undefined,
    phones: fieldTexts(PHONE_FIELDS[object], (field) => record[field]),
    customData: readCustomData(custom, (field) => read(record, field)),
    modifiedAt: modified ? new Date(modified) : undefined,
  };
}
