import { factory } from '../../test/support/factory';
import { ScriptedSource } from '../../test/support/scripted-source';
import { FALLBACK_MIN_MS, tiersOf, whyNoFallback } from './source-tiers';

describe('source tiers', () => {
  it('splits the tenant\'s sources into those asked at once and the fallbacks, and leaves a tenant without fallbacks as it is', () => {
    const crm = factory.tenantSource({ source: new ScriptedSource('crm', { kind: 'answer', candidates: [] }) });
    const directory = factory.tenantSource({ source: Object.assign(new ScriptedSource('directory', { kind: 'answer', candidates: [] }), { tier: 'fallback' as const }) });
    const both = factory.tenant({ sources: [directory, crm] });
    expect(tiersOf(both)).toEqual({ primary: [crm], fallback: [directory] });
    const only = factory.tenant({ sources: [crm] });
    expect(tiersOf(only).primary).toBe(only.sources);
    expect(tiersOf(only).fallback).toEqual([]);
  });

  it('asks the fallbacks only for a caller no other source matched, with enough of the deadline left', () => {
    expect(whyNoFallback(false, FALLBACK_MIN_MS)).toBeUndefined();
    expect(whyNoFallback(true, 1000)).toMatch(/^another source matched/);
    expect(whyNoFallback(false, FALLBACK_MIN_MS - 1)).toBe('too little of the deadline left after the other sources');
  });
});
