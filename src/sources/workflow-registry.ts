import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkflowHandlerProvider, WorkflowHandlerSetProvider, type WorkflowHandler, type WorkflowHandlerSet } from '../core/workflow-handler';

export class DuplicateWorkflowHandlerError extends Error {
  constructor(sourceId: string, workflow: string) {
    super(`Two handlers for workflow ${workflow} of source ${sourceId}: each source may have one per workflow name.`);
    this.name = 'DuplicateWorkflowHandlerError';
  }
}

/** Index of workflow handlers by source and (case-insensitive) workflow name. */
export class WorkflowHandlers {
  private readonly bySource = new Map<string, Map<string, WorkflowHandler>>();
  /** Sorted once: read for every card of every lookup. */
  private readonly namesBySource = new Map<string, readonly string[]>();
  /** Every workflow name any source handles, lower-case → as the first handler spells it. */
  private readonly canonical = new Map<string, string>();

  constructor(handlers: readonly WorkflowHandler[]) {
    for (const handler of handlers) {
      const own = this.bySource.get(handler.sourceId) ?? new Map<string, WorkflowHandler>();
      const key = handler.workflow.toLowerCase();
      if (own.has(key)) throw new DuplicateWorkflowHandlerError(handler.sourceId, handler.workflow);
      own.set(key, handler);
      this.bySource.set(handler.sourceId, own);
      if (!this.canonical.has(key)) this.canonical.set(key, handler.workflow);
    }
    for (const [sourceId, own] of this.bySource) this.namesBySource.set(sourceId, [...own.values()].map((h) => h.workflow).sort());
  }

  find(sourceId: string, workflow: string): WorkflowHandler | undefined {
    return this.bySource.get(sourceId)?.get(workflow.toLowerCase());
  }

  /** Workflow names a source supports, as its handlers spell them: a card's `CrmActions`. */
  namesOf(sourceId: string): readonly string[] {
    return this.namesBySource.get(sourceId) ?? [];
  }

  /** A name some source handles, spelled as its handler does; undefined for any other (a closed set). */
  canonicalName(workflow: string): string | undefined {
    return this.canonical.get(workflow.toLowerCase());
  }

  /** Names any of these sources supports, each once, spelled as the first handler does. */
  namesOfAny(sourceIds: readonly string[]): readonly string[] {
    const names = new Map<string, string>();
    for (const id of sourceIds) for (const name of this.namesOf(id)) if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
    return [...names.values()].sort();
  }
}

/** Finds every `@WorkflowHandlerProvider()` (and the handlers of every `@WorkflowHandlerSetProvider()`) at start; refuses to start on two for one name and source. */
@Injectable()
export class WorkflowRegistry implements OnModuleInit {
  private handlers = new WorkflowHandlers([]);

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders({ metadataKey: WorkflowHandlerProvider.KEY })
      .map((wrapper) => wrapper.instance as WorkflowHandler)
      .filter((instance) => instance !== undefined && instance !== null);
    const made = this.discovery
      .getProviders({ metadataKey: WorkflowHandlerSetProvider.KEY })
      .flatMap((wrapper) => (wrapper.instance as WorkflowHandlerSet | undefined)?.handlers ?? []);
    this.handlers = new WorkflowHandlers([...found, ...made]);
  }

  find(sourceId: string, workflow: string): WorkflowHandler | undefined {
    return this.handlers.find(sourceId, workflow);
  }

  namesOf(sourceId: string): readonly string[] {
    return this.handlers.namesOf(sourceId);
  }

  namesOfAny(sourceIds: readonly string[]): readonly string[] {
    return this.handlers.namesOfAny(sourceIds);
  }

  canonicalName(workflow: string): string | undefined {
    return this.handlers.canonicalName(workflow);
  }
}
