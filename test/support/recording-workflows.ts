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
  | { readonly kind: 'slow'; readonly ms: number };

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
  private nextId = 1;

  reset(): void {
    this.calls.length = 0;
    this.records.clear();
    this.script = { kind: 'write' };
    this.nextId = 1;
  }

  async handle(workflow: string, call: WorkflowCall): Promise<WorkflowResult> {
    this.calls.push({ workflow, call });
    const script = this.script;
    if (script.kind === 'fail') throw script.error;
    if (script.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, script.ms));
    const objectType = OBJECT_TYPES[workflow] ?? workflow;
    const recordId = call.previous?.objectType === objectType ? call.previous.recordId : `${objectType.toLowerCase()}-${this.nextId++}`;
    this.records.set(recordId, call);
    return { objectType, recordId, url: `https://crm.test/${objectType}/${recordId}` };
  }
}

export function rejectingWith(code: 'UNAVAILABLE' | 'TIMEOUT' | 'AUTH' | 'BAD_REQUEST', message: string, options?: { mayHaveWritten?: boolean }): WorkflowScript {
  return { kind: 'fail', error: new SourceError(code, message, options) };
}

/** One discoverable handler class per workflow name, as a CRM source module would provide. */
export function recordingHandlers(sourceId: string, recorder: WorkflowRecorder, workflows: readonly string[]): Type<WorkflowHandler>[] {
  return workflows.map((workflow) => {
    @WorkflowHandlerProvider()
    class RecordingHandler implements WorkflowHandler {
      readonly sourceId = sourceId;
      readonly workflow = workflow;
      /** As the recorder writes: an earlier record of this workflow's own type is updated. */
      readonly updates = [OBJECT_TYPES[workflow] ?? workflow];
      run(call: WorkflowCall): Promise<WorkflowResult> {
        return recorder.handle(workflow, call);
      }
    }
    return RecordingHandler;
  });
}
