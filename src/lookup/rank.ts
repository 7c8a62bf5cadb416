import type { Candidate, VerifiedCandidate } from '../core/source';

export interface RankOptions {
  /** Source ids, highest priority first. */
  readonly sourceOrder: readonly string[];
  readonly maxResults: number;
}

const KIND_ORDER = { person: 0, company: 1 } as const;

/**
 * Best first: match strength, people before companies, the tenant's source order, most recently
 * modified, then name. The same record returned twice is kept once (its strongest match).
 */
export function rankCandidates(verified: readonly VerifiedCandidate[], options: RankOptions): VerifiedCandidate[] {
  const strongest = new Map<string, VerifiedCandidate>();
  for (const item of verified) {
    const { sourceId, objectType, recordId } = item.candidate;
    const key = `${sourceId}\n${objectType}\n${recordId}`;
    const kept = strongest.get(key);
    if (!kept || item.strength > kept.strength) strongest.set(key, item);
  }
  const priority = (sourceId: string): number => {
    const index = options.sourceOrder.indexOf(sourceId);
    return index === -1 ? options.sourceOrder.length : index;
  };
  return [...strongest.values()]
    .sort(
      (a, b) =>
        b.strength - a.strength ||
        KIND_ORDER[a.candidate.kind] - KIND_ORDER[b.candidate.kind] ||
        priority(a.candidate.sourceId) - priority(b.candidate.sourceId) ||
        modifiedTime(b.candidate) - modifiedTime(a.candidate) ||
        a.candidate.name.localeCompare(b.candidate.name) ||
        a.candidate.recordId.localeCompare(b.candidate.recordId),
    )
    .slice(0, options.maxResults);
}

function modifiedTime(candidate: Candidate): number {
  return candidate.modifiedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
}
