import type { RecordIdPatterns } from '../record-id';
import type { Candidate } from '../source';
import { PHONE_FIELDS } from './salesforce-fields';
import type { CustomDataField } from '../custom-data';
import type { SalesforceObject } from './salesforce.settings';

export const SALESFORCE_SOURCE_ID = 'salesforce';

/** A Salesforce record id: 15 characters, or 18 with the case-safe suffix. */
export const SALESFORCE_ID = /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/;
/** What a lookup finds and what the workflows write. */
export const SALESFORCE_RECORD_IDS: RecordIdPatterns = { Contact: SALESFORCE_ID, Lead: SALESFORCE_ID, Account: SALESFORCE_ID, Task: SALESFORCE_ID, Case: SALESFORCE_ID };

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

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function toCandidate(record: SalesforceRecord, instanceUrl: string, custom: readonly CustomDataField[]): Candidate | undefined {
  const object = record.attributes.type as SalesforceObject;
  if (!(object in PHONE_FIELDS)) return undefined;
  const accountId = object === 'Account' ? record.Id : text(record.AccountId);
  const company = object === 'Contact' ? text(read(record, 'Account.Name')) : object === 'Lead' ? text(record.Company) : undefined;
  const customData: Record<string, string> = {};
  for (const { label, field } of custom) {
    const value = text(read(record, field));
    if (value !== undefined) customData[label] = value;
  }
  const modified = text(record.LastModifiedDate);
  return {
    sourceId: SALESFORCE_SOURCE_ID,
    objectType: object,
    recordId: record.Id,
    kind: object === 'Account' ? 'company' : 'person',
    name: text(record.Name) ?? text(record.Company) ?? record.Id,
    company,
    contactUri: recordUrl(instanceUrl, object, record.Id),
    companyUri: accountId ? recordUrl(instanceUrl, 'Account', accountId) : undefined,
    phones: PHONE_FIELDS[object].map((field) => text(record[field])).filter((p): p is string => p !== undefined),
    customData,
    modifiedAt: modified ? new Date(modified) : undefined,
  };
}
