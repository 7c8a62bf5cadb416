/**
 * The `Id` we hand the CONNECTOR: `<source>:<objectType>:<recordId>`. Opaque to the CONNECTOR,
 * it comes back as `contactCrmId` so a workflow can be routed to the owning source without a lookup.
 */
export interface RecordRef {
  readonly sourceId: string;
  readonly objectType: string;
  readonly recordId: string;
}

const SEPARATOR = ':';

export function encodeRecordId(ref: RecordRef): string {
  return [ref.sourceId, ref.objectType, ref.recordId].join(SEPARATOR);
}

export function decodeRecordId(id: string): RecordRef | undefined {
  const first = id.indexOf(SEPARATOR);
  const second = id.indexOf(SEPARATOR, first + 1);
  if (first <= 0 || second <= first + 1 || second === id.length - 1) return undefined;
  return { sourceId: id.slice(0, first), objectType: id.slice(first + 1, second), recordId: id.slice(second + 1) };
}
