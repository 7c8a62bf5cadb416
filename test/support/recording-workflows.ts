import type { Type } from '@nestjs/common';
import { SourceError } from '../../src/core/source-error';
import {
  CALL_FLOW,
  CREATE_CONTACT,
  CREATE_TICKET,
  WorkflowHandlerProvider,
  type WorkflowCall,
  type WorkflowHandler,
  type WorkflowResult,
} from '../../src/core/workflow-handler';

export type WorkflowScript =
  | { readonly kind: 'write' }
  | { readonly kind: 'fail'; readonly error: Error }
  | { readonly kind: 'slow'; readonly ms: number }
  /** Writes the record (after `ms`), then fails with `error`: a CRM whose answer was lost. */
  | { readonly kind: 'lose'; readonly error: Error; readonly ms?: number };

export interface RecordedCall {
  readonly workflow: string;
  readonly call: WorkflowCall;
}

const OBJECT_TYPES: Record<string, string> = { [CALL_FLOW]: 'Task', [CREATE_TICKET]: 'Case', [CREATE_CONTACT]: 'Contact' };

/** The CRM side of a test source: records every workflow call and the records it "wrote". */
export class WorkflowRecorder {
  readonly calls: RecordedCall[] = [];
  /** Records created, by id; updates overwrite the entry. */
  readonly records = new Map<string, WorkflowCall>();
  script: WorkflowScript = { kind: 'write' };
  /** Scripts for the next calls, one each, in order; then `script`. */
  readonly next: WorkflowScript[] = [];
  /** How long after its write a record created with a key is found by it (a search index's lag). */
  searchLagMs = 0;
  /** Records created with a key (`callKey`), by key: when, and how many looks (`looks`) came before. */
  readonly keyed = new Map<string, { readonly result: WorkflowResult; readonly at: number; readonly looksBefore: number }>();
  /** Every look for a record by its key (`findWritten`), and whether it found one. */
  readonly looks: Array<{ readonly key: string | undefined; readonly at: number; readonly found: boolean }> = [];
  private nextId = 1;

  reset(): void {
    this.calls.length = 0;
    this.records.clear();
    this.script = { kind: 'write' };
    this.next.length = 0;
    this.searchLagMs = 0;
    this.keyed.clear();
    this.looks.length = 0;
    this.nextId = 1;
  }

  async handle(workflow: string, call: WorkflowCall): Promise<WorkflowResult> {
    this.calls.push({ workflow, call });
    const script = this.next.shift() ?? this.script;
    if (script.kind === 'fail') throw script.error;
    const ms = script.kind === 'slow' || script.kind === 'lose' ? script.ms : undefined;
    if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
    const objectType = OBJECT_TYPES[workflow] ?? workflow;
    const updated = call.previous?.objectType === objectType ? call.previous : undefined;
    const recordId = updated ? updated.recordId : `${objectType.toLowerCase()}-${this.nextId++}`;
    this.records.set(recordId, call);
    const result = { objectType, recordId, url: `https://crm.test/${objectType}/${recordId}` };
    if (!updated && call.callKey !== undefined) this.keyed.set(call.callKey, { result, at: Date.now(), looksBefore: this.looks.length });
    if (script.kind === 'lose') throw script.error;
    return result;
  }

  /** The record created with the call's key, once `searchLagMs` has passed since its write. */
  async findWritten(call: WorkflowCall): Promise<WorkflowResult | undefined> {
    const now = Date.now();
    const kept = call.callKey === undefined ? undefined : this.keyed.get(call.callKey);
    const found = kept !== undefined && now >= kept.at + this.searchLagMs;
    this.looks.push({ key: call.callKey, at: now, found });
    return found ? kept.result : undefined;
  }
}

/** A write carried out whose answer was lost (a connection cut after sending), after `ms`. */
export function losingTheAnswer(ms?: number): WorkflowScript {
  return { kind: 'lose', error: new SourceError('UNAVAILABLE', 'connection cut after the request was sent', { mayHaveWritten: true }), ms };
}

export function rejectingWith(code: 'UNAVAILABLE' | 'TIMEOUT' | 'AUTH' | 'BAD_REQUEST', message: string, options?: { mayHaveWritten?: boolean }): WorkflowScript {
  return { kind: 'fail', error: new SourceError(code, message, options) };
}

/**
 * One discoverable handler class per workflow name, as a CRM source module would provide. With
 * `findableAfterMs`, each also finds a create by its key (`recorder.findWritten`), declaring it can see a
 * write that long after it.
 */
export function recordingHandlers(sourceId: string, recorder: WorkflowRecorder, workflows: readonly string[], options: { findableAfterMs?: number } = {}): Type<WorkflowHandler>[] {
  return workflows.map((workflow) => {
    @WorkflowHandlerProvider()
    class RecordingHandler implements WorkflowHandler {
      readonly sourceId = sourceId;
      readonly workflow = workflow;
      /** As the recorder writes: an earlier record of this workflow's own type is updated. */
      readonly updates = [OBJECT_TYPES[workflow] ?? workflow];
      readonly findableAfterMs = options.findableAfterMs;
      readonly findWritten = options.findableAfterMs === undefined ? undefined : (call: WorkflowCall) => recorder.findWritten(call);
      run(call: WorkflowCall): Promise<WorkflowResult> {
        return recorder.handle(workflow, call);
      }
    }
    return RecordingHandler;
  });
}
