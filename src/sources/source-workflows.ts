import { Inject, Injectable, type Type } from '@nestjs/common';
import { globalSettings, type GlobalSettings } from '../config/global-settings';
import type { RecordRef } from '../core/record-id';
import { WorkflowHandlerProvider, type WorkflowCall, type WorkflowHandler, type WorkflowResult } from '../core/workflow-handler';
import type { SourceWithTenants } from './attached-tenants';

/** One workflow of a source: its name, the earlier records it takes, and its writes given the tenant's state (its client). */
export interface SourceWorkflow<S extends object, T> {
  readonly workflow: string;
  /** The object types an earlier request's `id` may name, each with what it is (`WorkflowHandler.previousTypes`). */
  readonly previousTypes?: Readonly<Record<string, string>>;
  /**
   * The object types this workflow updates when an earlier request's `id` names one (CallFlow: the call
   * it logged), and that update: such a request writes every time (`WorkflowHandler.updates`).
   */
  readonly update?: {
    readonly types: readonly string[];
    readonly write: (tenant: T, record: RecordRef, call: WorkflowCall<S>) => Promise<WorkflowResult>;
  };
  /** Writes the workflow's record for the call: every request that updates nothing. */
  readonly create: (tenant: T, call: WorkflowCall<S>) => Promise<WorkflowResult>;
  /** The record `create` wrote with `call.callKey`, when the source's records carry it (`WorkflowHandler.findWritten`). */
  readonly findWritten?: (tenant: T, call: WorkflowCall<S>) => Promise<WorkflowResult | undefined>;
  /** Whether `findWritten` can find a tenant's records, by its settings (`WorkflowHandler.findsWritten`); absent: always. */
  readonly findsWritten?: (settings: S) => boolean;
  /** How long after a write `findWritten` can see it, from the global settings (`WorkflowHandler.findableAfterMs`). */
  readonly findableAfterMs?: (settings: GlobalSettings) => number;
}

/**
 * A source's workflow handlers, declared once: one `@WorkflowHandlerProvider()` class per workflow,
 * given the source (its id, its tenants' state), to list in the source's module `providers`. The
 * registry finds them at start and refuses two for one workflow name of a source.
 */
export function sourceWorkflows<S extends object, T>(source: Type<SourceWithTenants<S, T>>, workflows: readonly SourceWorkflow<S, T>[]): Type<WorkflowHandler<S>>[] {
  return workflows.map((declared) => {
    @WorkflowHandlerProvider()
    @Injectable()
    class SourceWorkflowHandler implements WorkflowHandler<S> {
      readonly sourceId: string;
      readonly workflow = declared.workflow;
      readonly previousTypes = declared.previousTypes;
      readonly updates = declared.update?.types;
      readonly findWritten?: (call: WorkflowCall<S>) => Promise<WorkflowResult | undefined>;
      readonly findsWritten = declared.findsWritten;
      readonly findableAfterMs?: number;

      constructor(@Inject(source) private readonly owner: SourceWithTenants<S, T>, @Inject(globalSettings.KEY) settings: GlobalSettings) {
        this.sourceId = owner.id;
        const find = declared.findWritten;
        if (find) this.findWritten = (call) => find(this.owner.tenants.of(call.settings), call);
        this.findableAfterMs = declared.findableAfterMs?.(settings);
      }

      async run(call: WorkflowCall<S>): Promise<WorkflowResult> {
        const tenant = this.owner.tenants.of(call.settings);
        const { previous } = call;
        if (previous && declared.update?.types.includes(previous.objectType)) return declared.update.write(tenant, previous, call);
        return declared.create(tenant, call);
      }
    }
    // Named as a hand-written one would be (`HubSpotCallFlow`), for Nest's messages.
    Object.defineProperty(SourceWorkflowHandler, 'name', { value: `${source.name.replace(/Source$/, '')}${declared.workflow}` });
    return SourceWorkflowHandler;
  });
}
