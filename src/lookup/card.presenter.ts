import type { Tenant } from '../tenants/tenant';
import { encodeRecordId } from '../core/record-id';
import type { Candidate } from '../core/source';

/** A contact card as the CONNECTOR reads it (PascalCase, as in the contract). */
export interface PascalCard {
  Name: string;
  Company: string;
  ContactUri: string;
  CompanyUri: string;
  Id: string;
  CrmName: string;
  CrmLogo: string;
  /** Workflow names the record's source supports. */
  CrmActions: string[];
  CustomData?: Record<string, string>;
  CustomFields?: Record<string, string>;
}

export type Card = PascalCard | Record<string, unknown>;

/**
 * Signed ids of the candidates shown lately: a cached answer's candidates are the same objects on every
 * lookup, and signing one costs about 2 µs (three cards: a few per cent of a cached lookup).
 */
const signedIds = new WeakMap<Candidate, { readonly key: Buffer; readonly id: string }>();

function cardId(candidate: Candidate, key: Buffer | undefined): string {
  if (key === undefined) return encodeRecordId(candidate);
  const known = signedIds.get(candidate);
  if (known?.key === key) return known.id;
  const id = encodeRecordId(candidate, key);
  signedIds.set(candidate, { key, id });
  return id;
}

export function logoUrlFor(publicUrl: string, sourceId: string): string {
  return `${publicUrl}/logos/${sourceId}.svg`;
}

/**
 * Turns a ranked candidate into the card the CONNECTOR shows. Absent texts are empty strings so the
 * card never shows "null"; `CustomData` is repeated as `CustomFields` (contract decision 1).
 */
export function presentCard(candidate: Candidate, tenant: Tenant, publicUrl: string, actions: readonly string[]): Card {
  const source = tenant.sources.find((s) => s.source.id === candidate.sourceId);
  const card: PascalCard = {
    Name: candidate.name,
    Company: candidate.company ?? '',
    ContactUri: candidate.contactUri ?? '',
    CompanyUri: candidate.companyUri ?? '',
    Id: cardId(candidate, tenant.recordIdKey),
    CrmName: source?.displayName ?? candidate.sourceId,
    CrmLogo: source?.logoUrl ?? logoUrlFor(publicUrl, candidate.sourceId),
    CrmActions: [...actions],
  };
  for (const field of tenant.customDataFields) card[field] = { ...candidate.customData };
  return tenant.responseCase === 'camel' ? toCamelCase(card) : card;
}

function toCamelCase(card: PascalCard): Record<string, unknown> {
  return Object.fromEntries(Object.entries(card).map(([key, value]) => [key[0]!.toLowerCase() + key.slice(1), value]));
}
