import { fieldText, fieldTexts, readCustomData, type CustomDataField } from '../custom-data';
import type { RecordIdPatterns } from '../../core/record-id';
import type { Candidate } from '../../core/source';
import type { PortalLinks } from './hubspot.client';

export const HUBSPOT_SOURCE_ID = 'hubspot';

/** HubSpot's object ids are numbers. */
const HUBSPOT_ID = /^\d{1,20}$/;
/** Owner ids (`hubspot_owner_id`) are numbers too. */
export const HUBSPOT_OWNER_IDS = HUBSPOT_ID;
/** What a lookup finds and what the workflows write. */
export const HUBSPOT_RECORD_IDS: RecordIdPatterns = { contact: HUBSPOT_ID, company: HUBSPOT_ID, call: HUBSPOT_ID, ticket: HUBSPOT_ID };

/** Object type ids in HubSpot record links. */
export const OBJECT_TYPE_IDS = { contacts: '0-1', companies: '0-2', tickets: '0-5' } as const;

/** A record as the CRM v3 API returns it: every property value a string or null. */
export interface HubSpotRecord {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null | undefined>>;
  readonly updatedAt?: string;
}

export function recordLink(links: PortalLinks | undefined, objectTypeId: string, id: string | undefined): string | undefined {
  if (!links || !id) return undefined;
  return `${links.appUrl}/contacts/${links.portalId}/record/${objectTypeId}/${id}`;
}

function phones(record: HubSpotRecord, properties: readonly string[]): string[] {
  return fieldTexts(properties, (property) => record.properties[property]);
}

function modified(record: HubSpotRecord, property: string): Date | undefined {
  const value = fieldText(record.properties[property]) ?? record.updatedAt;
  return value ? new Date(value) : undefined;
}

export const CONTACT_PHONE_PROPERTIES = ['phone', 'mobilephone', 'hs_calculated_phone_number', 'hs_calculated_mobile_number'] as const;
export const COMPANY_PHONE_PROPERTIES = ['phone', 'hs_calculated_phone_number'] as const;

/** `companyName` is the primary associated company's name, when the contact's own `company` is empty. */
export function contactToCandidate(
  record: HubSpotRecord,
  links: PortalLinks | undefined,
  custom: readonly CustomDataField[],
  companyName?: string,
): Candidate {
  const p = record.properties;
  const name = [fieldText(p.firstname), fieldText(p.lastname)].filter(Boolean).join(' ') || fieldText(p.email) || fieldText(p.phone) || `Contact ${record.id}`;
  return {
    sourceId: HUBSPOT_SOURCE_ID,
    objectType: 'contact',
    recordId: record.id,
    kind: 'person',
    name,
    company: fieldText(p.company) ?? companyName,
    contactUri: recordLink(links, OBJECT_TYPE_IDS.contacts, record.id),
    companyUri: recordLink(links, OBJECT_TYPE_IDS.companies, fieldText(p.associatedcompanyid)),
    phones: phones(record, CONTACT_PHONE_PROPERTIES),
    customData: readCustomData(custom, (field) => record.properties[field]),
    modifiedAt: modified(record, 'lastmodifieddate'),
  };
}

export function companyToCandidate(record: HubSpotRecord, links: PortalLinks | undefined, custom: readonly CustomDataField[]): Candidate {
  const p = record.properties;
  const link = recordLink(links, OBJECT_TYPE_IDS.companies, record.id);
  return {
    sourceId: HUBSPOT_SOURCE_ID,
    objectType: 'company',
    recordId: record.id,
    kind: 'company',
    name: fieldText(p.name) ?? fieldText(p.domain) ?? `Company ${record.id}`,
    contactUri: link,
    companyUri: link,
    phones: phones(record, COMPANY_PHONE_PROPERTIES),
    customData: readCustomData(custom, (field) => record.properties[field]),
    modifiedAt: modified(record, 'hs_lastmodifieddate'),
  };
}
