import { Inject, Injectable } from '@nestjs/common';
import { splitName, type CallFacts } from '../../calls/call-facts';
import { SourceError } from '../../core/source-error';
import {
  CALL_FLOW,
  CREATE_TICKET,
  crmWriteDeadline,
  LOGGED_CALL,
  OPENED_TICKET,
  WorkflowHandlerSetProvider,
  type WorkflowCall,
  type WorkflowHandler,
  type WorkflowHandlerSet,
  type WorkflowResult,
} from '../../core/workflow-handler';
import { normalizeIncoming } from '../../phone';
import { numberForm } from './number-forms';
import { CONTACT_ID_OF_TYPE, render, type CallValue, type Placeholder, type PlaceholderValue, type PlaceholderValues } from './placeholders';
import { select } from './response-mapping';
import { prepareWrite, type TemplateClient } from './template-client';
import type { CompiledWorkflow, CompiledWrite } from './template-loader';
import type { TemplateSettings } from './template-settings';
import type { TemplateSource } from './template.source';
import { TEMPLATE_SOURCES } from './template-sources.token';

/** A call's value for `{{call.<name>}}`; undefined when the call has none (not answered, not ended, no name). */
export function callValue(facts: CallFacts, name: CallValue, callKey: string | undefined): PlaceholderValue | undefined {
  switch (name) {
    case 'key':
      return callKey;
    case 'subject':
      return facts.subject;
    case 'description':
      return facts.description;
    case 'direction':
      return facts.direction;
    case 'outgoing':
      return facts.direction === 'outgoing';
    case 'outcome':
      return facts.outcome;
    case 'outcomeLabel':
      return facts.outcomeLabel;
    case 'startedAt':
      return facts.startedAt.toISOString();
    case 'answeredAt':
      return facts.answeredAt?.toISOString();
    case 'endedAt':
      return facts.endedAt?.toISOString();
    case 'talkSeconds':
      return facts.talkSeconds;
    case 'talkMinutes':
      return Math.ceil(facts.talkSeconds / 60);
    case 'ringSeconds':
      return facts.ringSeconds;
    case 'externalNumber':
      return facts.external.number;
    case 'externalName':
      return facts.external.name || undefined;
    case 'externalFirstName':
      return splitName(facts.external.name).first;
    case 'externalLastName':
      // A record is never nameless: a caller without a name is named by the number.
      return splitName(facts.external.name).last ?? (facts.external.name ? undefined : facts.external.label);
    case 'externalLabel':
      return facts.external.label;
    case 'internalNumber':
      return facts.internal.number;
    case 'internalName':
      return facts.internal.name || undefined;
  }
}

/** What the placeholders of a workflow's writes stand for in one call. */
export function writeValues(client: Pick<TemplateClient, 'paramValue'>, call: WorkflowCall<TemplateSettings>): PlaceholderValues {
  const external = call.facts.external.number === undefined ? undefined : normalizeIncoming(call.facts.external.number, call.region);
  return (p: Placeholder) => {
    switch (p.source) {
      case 'param':
        return client.paramValue(p.name);
      case 'call':
        return callValue(call.facts, p.name as CallValue, call.callKey);
      case 'contact': {
        if (!call.contact) return undefined;
        if (p.name === 'id') return call.contact.recordId;
        if (p.name === 'type') return call.contact.objectType;
        return CONTACT_ID_OF_TYPE.exec(p.name)?.[1] === call.contact.objectType ? call.contact.recordId : undefined;
      }
      case 'previous':
        return p.name === 'id' ? call.previous?.recordId : call.previous?.objectType;
      case 'user':
        return call.userId;
      case 'number':
        return external?.kind === 'phone' ? numberForm(external, p.name) : undefined;
      case 'record':
        return undefined; // known in the url only
    }
  };
}

/**
 * One workflow of a template as a handler the core routes to: CallFlow creates (and, for a later request of
 * the same call, updates by `{{previous.id}}`), CreateContact and CreateTicket create. Each create carries
 * the call's key where the template puts it (`{{call.key}}`); a template with `find` lets the outbox look a
 * lost create up by that key instead of never sending it again.
 */
export class TemplateWorkflowHandler implements WorkflowHandler<TemplateSettings> {
  readonly sourceId: string;
  readonly workflow: string;
  readonly previousTypes: Readonly<Record<string, string>>;
  readonly updates?: readonly string[];
  readonly findWritten?: (call: WorkflowCall<TemplateSettings>) => Promise<WorkflowResult | undefined>;

  constructor(
    private readonly source: TemplateSource,
    private readonly compiled: CompiledWorkflow,
  ) {
    const { workflow } = compiled;
    this.sourceId = source.id;
    this.workflow = workflow.name;
    this.previousTypes = previousTypesOf(source.loadedTemplate.workflows);
    if (compiled.update) this.updates = [workflow.objectType];
    if (compiled.find) this.findWritten = (call) => this.find(call);
  }

  async run(call: WorkflowCall<TemplateSettings>): Promise<WorkflowResult> {
    const client = this.source.clientOf(call.settings);
    const values = writeValues(client, call);
    const { previous } = call;
    if (previous && this.compiled.update && previous.objectType === this.compiled.workflow.objectType) {
      await client.write(prepareWrite(this.compiled.update, values), crmWriteDeadline());
      return this.result(previous.recordId, client);
    }
    let answer: unknown;
    try {
      answer = await client.write(prepareWrite(this.compiled.create, values), crmWriteDeadline());
    } catch (error) {
      // A create refused as a duplicate of its own key (Dataverse's 412 when an earlier try was carried
      // out after all): the record is there, found by the key.
      const found = error instanceof SourceError && error.code === 'BAD_REQUEST' && this.findWritten && call.callKey ? await this.find(call) : undefined;
      if (found) return found;
      throw error;
    }
    const id = this.idIn(answer, this.compiled.workflow.create.id);
    if (id === undefined) {
      throw new SourceError('UNAVAILABLE', `${this.source.template.name} answered the ${this.workflow} write without an id of the form ${this.compiled.idPattern.source}`, { mayHaveWritten: true });
    }
    return this.result(id, client);
  }

  private async find(call: WorkflowCall<TemplateSettings>): Promise<WorkflowResult | undefined> {
    const find = this.compiled.find as CompiledWrite;
    const client = this.source.clientOf(call.settings);
    const answer = await client.write(prepareWrite(find, writeValues(client, call)), crmWriteDeadline(), { emptyStatuses: this.compiled.workflow.find?.emptyStatuses ?? [] });
    const id = answer === undefined ? undefined : this.idIn(answer, this.compiled.workflow.find!.id);
    return id === undefined ? undefined : this.result(id, client);
  }

  private idIn(answer: unknown, path: string): string | undefined {
    const [value] = select(path, answer).flat();
    const id = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    return id !== undefined && this.compiled.idPattern.test(id) ? id : undefined;
  }

  private result(recordId: string, client: Pick<TemplateClient, 'paramValue'>): WorkflowResult {
    let url: string | undefined;
    try {
      url = this.compiled.url && render(this.compiled.url, 'link', (p) => (p.source === 'record' ? recordId : p.source === 'param' ? client.paramValue(p.name) : undefined));
    } catch {
      url = undefined; // a value a link cannot carry: answered without it
    }
    return { objectType: this.compiled.workflow.objectType, recordId, ...(url ? { url } : {}) };
  }
}

/** The records a template's workflows write, each an earlier request's `id` may name: CallFlow's call, CreateTicket's ticket. */
function previousTypesOf(workflows: readonly CompiledWorkflow[]): Record<string, string> {
  const types: Record<string, string> = {};
  for (const { workflow } of workflows) {
    types[workflow.objectType] = workflow.name === CALL_FLOW ? LOGGED_CALL : workflow.name === CREATE_TICKET ? OPENED_TICKET : `a record written by ${workflow.name}`;
  }
  return types;
}

/** Every template's workflow handlers, found by the workflow registry at start beside the built-in sources' handlers. */
@WorkflowHandlerSetProvider()
@Injectable()
export class TemplateWorkflowHandlers implements WorkflowHandlerSet {
  readonly handlers: readonly WorkflowHandler[];

  constructor(@Inject(TEMPLATE_SOURCES) sources: readonly TemplateSource[]) {
    this.handlers = sources.flatMap((source) => source.loadedTemplate.workflows.map((compiled) => new TemplateWorkflowHandler(source, compiled) as WorkflowHandler));
  }
}
