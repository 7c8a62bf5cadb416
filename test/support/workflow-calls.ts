import { computeCallFacts, type CallInputs } from '../../src/calls/call-facts';
import type { WorkflowCall } from '../../src/core/workflow-handler';

/** Anna Muster calls the front desk on 20 November 2026 at 09:15 in Zurich, and they talk for 2 min 5 s. */
export const ANSWERED_CALL: CallInputs = {
  direction: 'incoming',
  originatorNumber: '+41789072228',
  originatorName: 'Anna Muster',
  destinationNumber: '+41446681800',
  destinationName: 'Front desk',
  startedAt: new Date('2026-11-20T08:15:00Z'),
  answeredAt: new Date('2026-11-20T08:15:12Z'),
  endedAt: new Date('2026-11-20T08:17:17Z'),
};

/** A workflow call of the tenant `acme` (Swiss numbers, Zurich time, English texts), with the call's facts computed as the core does. */
export function workflowCall<S extends object>(settings: S, overrides: Partial<Omit<WorkflowCall<S>, 'facts' | 'settings'>> & { call?: Partial<CallInputs> } = {}): WorkflowCall<S> {
  const { call, ...rest } = overrides;
  const facts = computeCallFacts({ ...ANSWERED_CALL, ...call }, { region: 'CH', language: 'en', timezone: 'Europe/Zurich' });
  return { tenantId: 'acme', settings, region: 'CH', timezone: 'Europe/Zurich', facts, ...rest };
}
