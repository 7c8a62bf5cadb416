import type { CustomDataField } from '../custom-data';
import type { SalesforceObject } from './salesforce.settings';

/** Phone-type fields per object (standard ones; `MobilePhone` on Lead is often hidden by FLS). */
export const PHONE_FIELDS: Readonly<Record<SalesforceObject, readonly string[]>> = {
  Contact: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone'],
  Lead: ['Phone', 'MobilePhone'],
  Account: ['Phone'],
};

const BASE_FIELDS: Readonly<Record<SalesforceObject, readonly string[]>> = {
  Contact: ['Id', 'Name', 'AccountId', 'Account.Name', 'LastModifiedDate'],
  Lead: ['Id', 'Name', 'Company', 'LastModifiedDate'],
  Account: ['Id', 'Name', 'LastModifiedDate'],
};

/** What the describe call tells us an object's fields are (only those visible to our user). */
export interface VisibleFields {
  readonly names: ReadonlySet<string>;
  /** Relationship names (`Account`, `Owner`) usable in paths such as `Account.Name`. */
  readonly relationships: ReadonlySet<string>;
}

export function isVisible(path: string, visible: VisibleFields): boolean {
  const [head, ...rest] = path.split('.');
  return rest.length === 0 ? visible.names.has(head!) : visible.relationships.has(head!);
}

/**
 * The fields to request for an object: ours, its phones and the tenant's custom data fields, minus
 * the ones field-level security hides from us (a hidden field would fail the whole search).
 */
export function requestedFields(object: SalesforceObject, custom: readonly CustomDataField[], visible: VisibleFields): string[] {
  const wanted = [...BASE_FIELDS[object], ...PHONE_FIELDS[object], ...custom.map((c) => c.field)];
  return [...new Set(wanted)].filter((field) => field === 'Id' || isVisible(field, visible));
}
