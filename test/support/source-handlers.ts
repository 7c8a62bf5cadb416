import type { Type } from '@nestjs/common';
import { loadGlobalSettings, type GlobalSettings } from '../../src/config/global-settings';
import type { WorkflowHandler } from '../../src/core/workflow-handler';

/** A source's declared workflow handlers, built on the source (and the global settings, the defaults unless given) as Nest would, by workflow name. */
export function handlersOf<S extends object>(
  declared: readonly Type<WorkflowHandler<S>>[],
  source: unknown,
  settings: GlobalSettings = loadGlobalSettings({}),
): Readonly<Record<string, WorkflowHandler<S>>> {
  return Object.fromEntries(declared.map((Handler) => new Handler(source, settings)).map((handler) => [handler.workflow, handler]));
}
