import type { TestApp } from './test-app';

export const EXECUTION_TOKEN_HEADER = 'X-Execution-Token';

type Card = Record<string, unknown>;

/**
 * What a template's e2e spec asks the gateway and reads from its log: a lookup by token, its cards (200
 * expected), their names, and the warnings the template's source logged for a tenant. `gateway` is a
 * getter: the spec starts its gateway in `beforeAll`.
 */
export function templateLookups(gateway: () => TestApp, sourceId: string) {
  const lookup = (number: string, token: string) => gateway().http.get('/lookup').query({ PhoneNumber: number }).set(EXECUTION_TOKEN_HEADER, token);
  const cards = async (number: string, token: string): Promise<Card[]> => (await lookup(number, token).expect(200)).body as Card[];
  const names = async (number: string, token: string): Promise<unknown[]> => (await cards(number, token)).map((c) => c.Name);
  const failures = (tenantId: string) => gateway().logs.lines.filter((l) => l.tenant === tenantId && l.source === sourceId);
  const lastFailure = (tenantId: string) => failures(tenantId).at(-1);
  return { lookup, cards, names, failures, lastFailure };
}
