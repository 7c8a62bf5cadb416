import { MatchStrength } from '../phone';
import type { Candidate } from '../core/source';
import type { VerifiedCandidate } from '../core/source';
import { rankCandidates } from './rank';

function candidate(overrides: Partial<Candidate>): Candidate {
  return {
    sourceId: 'directory',
    objectType: 'entry',
    recordId: overrides.name ?? 'r1',
    kind: 'person',
    name: 'Anna Muster',
    phones: ['+41 78 907 22 28'],
    customData: {},
    ...overrides,
  };
}

const verified = (strength: MatchStrength, overrides: Partial<Candidate>): VerifiedCandidate => ({
  strength,
  candidate: candidate(overrides),
});

const names = (ranked: VerifiedCandidate[]): string[] => ranked.map((r) => r.candidate.name);
const options = { sourceOrder: ['salesforce', 'hubspot', 'directory'], maxResults: 5 };

describe('rankCandidates', () => {
  it.each<[string, VerifiedCandidate[], string[]]>([
    [
      'stronger match first',
      [verified(MatchStrength.MainNumberOfExtension, { name: 'Weak' }), verified(MatchStrength.Exact, { name: 'Strong' })],
      ['Strong', 'Weak'],
    ],
    [
      'people before companies at equal strength',
      [verified(MatchStrength.Exact, { name: 'Acme AG', kind: 'company' }), verified(MatchStrength.Exact, { name: 'Zoe' })],
      ['Zoe', 'Acme AG'],
    ],
    [
      'strength beats kind',
      [verified(MatchStrength.AssumedCountryCode, { name: 'Zoe' }), verified(MatchStrength.Exact, { name: 'Acme AG', kind: 'company' })],
      ['Acme AG', 'Zoe'],
    ],
    [
      'tenant source order breaks ties',
      [
        verified(MatchStrength.Exact, { name: 'From directory', sourceId: 'directory' }),
        verified(MatchStrength.Exact, { name: 'From HubSpot', sourceId: 'hubspot' }),
        verified(MatchStrength.Exact, { name: 'From Salesforce', sourceId: 'salesforce' }),
      ],
      ['From Salesforce', 'From HubSpot', 'From directory'],
    ],
    [
      'sources missing from the order come last',
      [verified(MatchStrength.Exact, { name: 'Other', sourceId: 'other' }), verified(MatchStrength.Exact, { name: 'Dir', sourceId: 'directory' })],
      ['Dir', 'Other'],
    ],
    [
      'most recently modified next',
      [
        verified(MatchStrength.Exact, { name: 'Old', modifiedAt: new Date('2020-01-01') }),
        verified(MatchStrength.Exact, { name: 'Never dated' }),
        verified(MatchStrength.Exact, { name: 'New', modifiedAt: new Date('2026-01-01') }),
      ],
      ['New', 'Old', 'Never dated'],
    ],
    [
      'then by name',
      [verified(MatchStrength.Exact, { name: 'Zürcher' }), verified(MatchStrength.Exact, { name: 'Ähnlich' }), verified(MatchStrength.Exact, { name: 'Bär' })],
      ['Ähnlich', 'Bär', 'Zürcher'],
    ],
  ])('%s', (_what, input, expected) => {
    expect(names(rankCandidates(input, options))).toEqual(expected);
  });

  it('keeps one copy of a record returned twice, with its strongest match', () => {
    const ranked = rankCandidates(
      [
        verified(MatchStrength.MainNumberOfExtension, { name: 'Anna', recordId: 'same' }),
        verified(MatchStrength.Exact, { name: 'Beat', recordId: 'other' }),
        verified(MatchStrength.Exact, { name: 'Anna', recordId: 'same' }),
      ],
      options,
    );
    expect(ranked.map((r) => [r.candidate.name, r.strength])).toEqual([
      ['Anna', MatchStrength.Exact],
      ['Beat', MatchStrength.Exact],
    ]);
  });

  it('keeps records with the same id in different sources apart', () => {
    const ranked = rankCandidates(
      [verified(MatchStrength.Exact, { recordId: 'x', sourceId: 'hubspot' }), verified(MatchStrength.Exact, { recordId: 'x', sourceId: 'directory' })],
      options,
    );
    expect(ranked).toHaveLength(2);
  });

  it('truncates after ranking, so the best survive', () => {
    const many = Array.from({ length: 8 }, (_, i) => verified(MatchStrength.MainNumberOfExtension, { name: `Weak ${i}` }));
    const ranked = rankCandidates([...many, verified(MatchStrength.Exact, { name: 'Best' })], { ...options, maxResults: 3 });
    expect(names(ranked)).toEqual(['Best', 'Weak 0', 'Weak 1']);
  });

  it('returns nothing for nothing', () => {
    expect(rankCandidates([], options)).toEqual([]);
  });
});
