import type { Type } from '@nestjs/common';
import type { WorkflowHandler } from '../../src/core/workflow-handler';

/** A source's declared workflow handlers, built on the source as Nest would, by workflow name. */
export function handlersOf<S extends object>(declared: readonly Type<WorkflowHandler<S>>[], source: unknown): Readonly<Record<string, WorkflowHandler<S>>> {
  return Object.fromEntries(declared.map((Handler) => new Handler(source)).map((handler) => [handler.workflow, handler]));
}
