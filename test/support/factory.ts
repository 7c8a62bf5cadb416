import type { Tenant, TenantSource } from '../../src/tenants/tenant';
import type { Candidate } from '../../src/core/source';

/** Test data with sensible defaults; override what a test is about. */
export const factory = {
  candidate(overrides: Partial<Candidate> = {}): Candidate {
    return {
      sourceId: 'directory',
      objectType: 'entry',
      recordId: 'rec-1',
      kind: 'person',
      name: 'Anna Muster',
      company: 'Muster Treuhand AG',
      phones: ['+41 78 907 22 28'],
      customData: {},
      ...overrides,
    };
  },

  tenant(overrides: Partial<Tenant> = {}): Tenant {
    return {
      id: 'acme',
      file: '/tenants/acme.env',
      authHeader: 'x-execution-token',
      tokenDigests: [],
      defaultRegion: 'CH',
      responseCase: 'pascal',
      sourceOrder: ['directory'],
      customDataFields: ['CustomData', 'CustomFields'],
      sources: [],
      timezone: 'Europe/Zurich',
      language: 'en',
      workflowDefaultSource: undefined,
      cache: { ttlMs: 60_000, missTtlMs: 30_000, staleMs: 86_400_000 },
      recordIdKey: undefined,
      ...overrides,
    };
  },

  tenantSource(overrides: Partial<TenantSource> & Pick<TenantSource, 'source'>): TenantSource {
    return { settings: {}, displayName: overrides.source.defaultDisplayName, logoUrl: undefined, ...overrides };
  },
};
