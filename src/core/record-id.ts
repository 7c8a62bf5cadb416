import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `Id` we hand the CONNECTOR: `<source>:<objectType>:<recordId>`, followed by `:<signature>` when
 * the gateway signs its ids (`RECORD_ID_SECRET`). Opaque to the CONNECTOR, it comes back as
 * `contactCrmId` (or as a workflow's `id`) so a workflow can be routed to the owning source without a lookup.
 */
export interface RecordRef {
  readonly sourceId: string;
  readonly objectType: string;
  readonly recordId: string;
}

const SEPARATOR = ':';
/** 96 bits of HMAC-SHA256, base64url: short enough for the CONNECTOR to carry, far too long to guess. */
const SIGNATURE_BYTES = 12;

/** The key a tenant's ids are signed with: one per tenant, so one tenant's ids are refused for another. */
export function recordIdKey(secret: string, tenantId: string): Buffer {
  return createHmac('sha256', secret).update(`record-id\n${tenantId}`).digest();
}

function signature(key: Buffer, plain: string): string {
  return createHmac('sha256', key).update(plain).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
}

export function encodeRecordId(ref: RecordRef, key?: Buffer): string {
  const plain = [ref.sourceId, ref.objectType, ref.recordId].join(SEPARATOR);
  return key ? `${plain}${SEPARATOR}${signature(key, plain)}` : plain;
}

/**
 * Reads an id back. With a key, only ids signed with it are read (any other is undefined); without,
 * the id's shape alone is read, and each source checks its record ids' own pattern before using one.
 */
export function decodeRecordId(id: string, key?: Buffer): RecordRef | undefined {
  let plain = id;
  if (key) {
    const last = id.lastIndexOf(SEPARATOR);
    if (last <= 0) return undefined;
    plain = id.slice(0, last);
    const given = Buffer.from(id.slice(last + 1));
    const expected = Buffer.from(signature(key, plain));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  }
  const first = plain.indexOf(SEPARATOR);
  const second = plain.indexOf(SEPARATOR, first + 1);
  if (first <= 0 || second <= first + 1 || second === plain.length - 1) return undefined;
  return { sourceId: plain.slice(0, first), objectType: plain.slice(first + 1, second), recordId: plain.slice(second + 1) };
}

/** The strict form of one object type's record ids: a RegExp, or a check a RegExp cannot express (a checksum). */
export interface RecordIdPattern {
  test(recordId: string): boolean;
}

/** Which object types a source issues ids for, each with the strict pattern of its record ids. */
export type RecordIdPatterns = Readonly<Record<string, RecordIdPattern>>;

/** True when the source issues ids of this object type and the record id has that type's form. */
export function matchesRecordIdPattern(patterns: RecordIdPatterns, objectType: string, recordId: string): boolean {
  return Object.hasOwn(patterns, objectType) && patterns[objectType]!.test(recordId);
}

/**
 * The object type of our ids for a write still waiting in the outbox: `<source>:queued:<delivery id>`.
 * The CONNECTOR sends it back with the call's next request, which is then merged into that write.
 */
export const QUEUED_OBJECT_TYPE = 'queued';
const DELIVERY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isQueuedRef(ref: RecordRef): boolean {
  return ref.objectType === QUEUED_OBJECT_TYPE && DELIVERY_ID.test(ref.recordId);
}
