import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { splitName, type CallFacts } from '../../calls/call-facts';
import {
  CALL_FLOW,
  CREATE_CONTACT,
  CREATE_TICKET,
  crmWriteDeadline,
  LOGGED_CALL,
  OPENED_TICKET,
  WorkflowHandlerProvider,
  type WorkflowCall,
  type WorkflowHandler,
  type WorkflowResult,
} from '../../core/workflow-handler';
import type { RecordRef } from '../../core/record-id';
import { recordUrl, SUGAR_SOURCE_ID } from './sugar.mapper';
import type { SugarSettings } from './sugar.settings';
import { SugarSource, type SugarTenant } from './sugar.source';

/** Sugar's `name` of Calls and Cases is a short varchar. */
const NAME_LENGTH = 50;

/** The Sugar writes the three workflows share. */
@Injectable()
export class SugarWriter {
  constructor(private readonly source: SugarSource) {}

  tenant(settings: SugarSettings): SugarTenant {
    return this.source.tenantOf(settings);
  }

  async create(tenant: SugarTenant, module: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
    const created = await tenant.client.request<{ id: string }>({ method: 'POST', path: `/${module}`, body: fields }, crmWriteDeadline());
    return { objectType: module, recordId: created.id, url: recordUrl(tenant.client.siteUrl, module, created.id) };
  }

  async update(tenant: SugarTenant, module: string, id: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
    await tenant.client.request<{ id: string }>({ method: 'PUT', path: `/${module}/${encodeURIComponent(id)}`, body: fields }, crmWriteDeadline());
    return { objectType: module, recordId: id, url: recordUrl(tenant.client.siteUrl, module, id) };
  }

  /** The Account of a Contact (the Call's parent, the Case's account); an Account is its own. */
  async accountOf(tenant: SugarTenant, record: RecordRef | undefined): Promise<string | undefined> {
    if (record?.objectType === 'Accounts') return record.recordId;
    if (record?.objectType !== 'Contacts') return undefined;
    const contact = await tenant.client.request<{ account_id?: string | null }>(
      { method: 'GET', path: `/Contacts/${encodeURIComponent(record.recordId)}`, params: { fields: 'account_id' } },
      crmWriteDeadline(),
    );
    return contact.account_id || undefined;
  }
}

function sugarTime(date: Date): string {
  return DateTime.fromJSDate(date, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

function callProgress(facts: CallFacts): Record<string, unknown> {
  const minutes = Math.round(facts.talkSeconds / 60);
  const ended = facts.endedAt ?? facts.answeredAt ?? facts.startedAt;
  return {
    name: facts.subject.slice(0, NAME_LENGTH),
    description: facts.description,
    status: facts.outcome === 'answered' ? 'Held' : 'Not Held',
    date_end: sugarTime(ended),
    duration_hours: Math.floor(minutes / 60),
    duration_minutes: minutes % 60,
  };
}

/** CallFlow: a Calls record under the contact's account (else the contact), the person linked; later requests update it. */
@WorkflowHandlerProvider()
@Injectable()
export class SugarCallFlow implements WorkflowHandler<SugarSettings> {
  readonly sourceId = SUGAR_SOURCE_ID;
  readonly workflow = CALL_FLOW;
  readonly previousTypes = { Calls: LOGGED_CALL };
  readonly updates = ['Calls'];

  constructor(private readonly writer: SugarWriter) {}

  async run({ settings, facts, contact, previous, userId }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
    const tenant = this.writer.tenant(settings);
    if (previous && this.updates.includes(previous.objectType)) return this.writer.update(tenant, 'Calls', previous.recordId, callProgress(facts));
    const account = await this.writer.accountOf(tenant, contact);
    const person = contact && (contact.objectType === 'Contacts' || contact.objectType === 'Leads') ? contact : undefined;
    const parent = account ? { parent_type: 'Accounts', parent_id: account } : person ? { parent_type: person.objectType, parent_id: person.recordId } : {};
    return this.writer.create(tenant, 'Calls', {
      ...callProgress(facts),
      direction: facts.direction === 'incoming' ? 'Inbound' : 'Outbound',
      date_start: sugarTime(facts.startedAt),
      ...parent,
      ...(userId ? { assigned_user_id: userId } : {}),
      ...(person ? { [person.objectType === 'Contacts' ? 'contacts' : 'leads']: { add: [person.recordId] } } : {}),
      // The person is linked above; Sugar would otherwise invite the parent a second time.
      auto_invite_parent: false,
    });
  }
}

/** CreateTicket: a Cases record linked to the contact and its account. */
@WorkflowHandlerProvider()
@Injectable()
export class SugarCreateTicket implements WorkflowHandler<SugarSettings> {
  readonly sourceId = SUGAR_SOURCE_ID;
  readonly workflow = CREATE_TICKET;
  readonly previousTypes = { Calls: LOGGED_CALL, Cases: OPENED_TICKET };

  constructor(private readonly writer: SugarWriter) {}

  async run({ settings, facts, contact, userId }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
    const tenant = this.writer.tenant(settings);
    const account = await this.writer.accountOf(tenant, contact);
    return this.writer.create(tenant, 'Cases', {
      name: facts.subject.slice(0, NAME_LENGTH),
      description: facts.description,
      status: 'New',
      priority: 'P2',
      ...(account ? { account_id: account } : {}),
      ...(contact?.objectType === 'Contacts' ? { contacts: { add: [contact.recordId] } } : {}),
      ...(userId ? { assigned_user_id: userId } : {}),
    });
  }
}

/** CreateContact: a Leads record with the caller's number (E.164) and name (the core checked none exists). */
@WorkflowHandlerProvider()
@Injectable()
export class SugarCreateContact implements WorkflowHandler<SugarSettings> {
  readonly sourceId = SUGAR_SOURCE_ID;
  readonly workflow = CREATE_CONTACT;

  constructor(private readonly writer: SugarWriter) {}

  async run({ settings, facts, userId }: WorkflowCall<SugarSettings>): Promise<WorkflowResult> {
    const { first, last } = splitName(facts.external.name);
    return this.writer.create(this.writer.tenant(settings), 'Leads', {
      ...(first ? { first_name: first } : {}),
      last_name: last ?? 'Unknown caller',
      ...(facts.external.number ? { phone_work: facts.external.number } : {}),
      lead_source: 'Cold Call',
      ...(userId ? { assigned_user_id: userId } : {}),
    });
  }
}
