import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { splitName } from '../../calls/call-facts';
import type { RecordRef } from '../../core/record-id';
import { SourceError } from '../../core/source-error';
import {
  CALL_FLOW,
  CREATE_CONTACT,
  CREATE_TICKET,
  crmWriteDeadline,
  LOGGED_CALL,
  OPENED_TICKET,
  OwnerRefusedError,
  WorkflowHandlerProvider,
  type WorkflowCall,
  type WorkflowHandler,
  type WorkflowResult,
  WorkflowInputError,
} from '../../core/workflow-handler';
import { recordUrl, SALESFORCE_ID, SALESFORCE_SOURCE_ID } from './salesforce.mapper';
import type { SalesforceSettings } from './salesforce.settings';
import { SalesforceSource, type SalesforceTenant } from './salesforce.source';

interface CreateResult {
  readonly id: string;
}

/** The Salesforce writes the three workflows share. */
@Injectable()
export class SalesforceWriter {
  constructor(private readonly source: SalesforceSource) {}

  tenant(settings: SalesforceSettings): SalesforceTenant {
    return this.source.tenantOf(settings);
  }

  async create(tenant: SalesforceTenant, object: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
    const owner = typeof fields.OwnerId === 'string' ? fields.OwnerId : undefined;
    try {
      const created = await tenant.client.request<CreateResult>(
        { method: 'POST', url: `/sobjects/${object}`, body: JSON.stringify(withoutEmpty(fields)) },
        crmWriteDeadline(),
      );
      return this.result(tenant, object, created.id);
    } catch (error) {
      if (owner !== undefined && error instanceof SourceError && (await this.refusedOwner(tenant, owner, error))) throw new OwnerRefusedError(owner, error);
      throw error;
    }
  }

  async update(tenant: SalesforceTenant, object: string, id: string, fields: Record<string, unknown>): Promise<WorkflowResult> {
    await tenant.client.request<unknown>(
      { method: 'PATCH', url: `/sobjects/${object}/${checkedId(id)}`, body: JSON.stringify(withoutEmpty(fields)) },
      crmWriteDeadline(),
    );
    return this.result(tenant, object, id);
  }

  /** The Account a Contact belongs to (a Task's `WhatId`, a Case's `AccountId`). */
  async accountOf(tenant: SalesforceTenant, record: RecordRef | undefined): Promise<string | undefined> {
    if (!record) return undefined;
    if (record.objectType === 'Account') return record.recordId;
    if (record.objectType !== 'Contact') return undefined;
    const soql = `SELECT AccountId FROM Contact WHERE Id = '${checkedId(record.recordId)}'`;
    const found = await tenant.client.request<{ records: Array<{ AccountId?: string | null }> }>(
      { method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` },
      crmWriteDeadline(),
    );
    return found.records[0]?.AccountId ?? undefined;
  }

  /**
   * Whether Salesforce refused the record for its `OwnerId` (a 400: nothing written): `MALFORMED_ID`,
   * `FIELD_INTEGRITY_EXCEPTION` (not a user) or `INVALID_CROSS_REFERENCE_KEY` (no such user), naming the
   * field in `fields`, or, when it lists none, in its message ("Assigned To ID: id value of incorrect type: …").
   * An `INVALID_CROSS_REFERENCE_KEY` that names nothing is the owner's when Salesforce has no such user.
   */
  private async refusedOwner(tenant: SalesforceTenant, owner: string, error: SourceError): Promise<boolean> {
    if (error.code !== 'BAD_REQUEST') return false;
    if (error.fields.length > 0) return error.fields.includes('OwnerId');
    if (/: (Owner ID|Assigned To ID): /.test(error.message)) return true;
    if (error.vendorCode !== 'INVALID_CROSS_REFERENCE_KEY') return false;
    const soql = `SELECT Id FROM User WHERE Id = '${checkedId(owner)}'`;
    const users = await tenant.client
      .request<{ records: unknown[] }>({ method: 'GET', url: `/query?q=${encodeURIComponent(soql)}` }, crmWriteDeadline())
      .catch(() => undefined);
    return users?.records.length === 0;
  }

  private result(tenant: SalesforceTenant, object: string, id: string): WorkflowResult {
    return { objectType: object, recordId: id, url: recordUrl(tenant.client.instanceUrl ?? '', object, id) };
  }
}

/** A person the call can be attached to (`WhoId`, `ContactId`): a Contact or a Lead. */
function person(record: RecordRef | undefined): RecordRef | undefined {
  return record && (record.objectType === 'Contact' || record.objectType === 'Lead') ? record : undefined;
}

/** Routing let only ids of Salesforce's form through; this keeps any other out of a URL or a query. */
function checkedId(id: string): string {
  if (!SALESFORCE_ID.test(id)) throw new WorkflowInputError(`"${id}" is not a Salesforce record id`);
  return id;
}

function withoutEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ''));
}

/** CallFlow: the call as a Task (`TaskSubtype` Call) on the Contact or Lead; later requests update it. */
@WorkflowHandlerProvider()
@Injectable()
export class SalesforceCallFlow implements WorkflowHandler<SalesforceSettings> {
  readonly sourceId = SALESFORCE_SOURCE_ID;
  readonly workflow = CALL_FLOW;
  readonly previousTypes = { Task: LOGGED_CALL };
  readonly updates = ['Task'];

  constructor(private readonly writer: SalesforceWriter) {}

  async run({ settings, facts, contact, previous, userId, timezone }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
    const tenant = this.writer.tenant(settings);
    const progress = {
      Subject: facts.subject.slice(0, 255),
      Description: facts.description,
      CallDurationInSeconds: facts.talkSeconds,
      CallDisposition: facts.outcomeLabel,
    };
    if (previous && this.updates.includes(previous.objectType)) return this.writer.update(tenant, 'Task', previous.recordId, progress);
    const who = person(contact);
    return this.writer.create(tenant, 'Task', {
      ...progress,
      TaskSubtype: 'Call',
      CallType: facts.direction === 'incoming' ? 'Inbound' : 'Outbound',
      Status: 'Completed',
      ActivityDate: DateTime.fromJSDate(facts.startedAt, { zone: timezone }).toISODate(),
      WhoId: who?.recordId,
      // Salesforce refuses an Account as WhatId beside a Lead.
      WhatId: who?.objectType === 'Lead' ? undefined : await this.writer.accountOf(tenant, contact),
      OwnerId: userId,
    });
  }
}

/** CreateTicket: a Case from the call, linked to the Contact and its Account. */
@WorkflowHandlerProvider()
@Injectable()
export class SalesforceCreateTicket implements WorkflowHandler<SalesforceSettings> {
  readonly sourceId = SALESFORCE_SOURCE_ID;
  readonly workflow = CREATE_TICKET;
  readonly previousTypes = { Task: LOGGED_CALL, Case: OPENED_TICKET };

  constructor(private readonly writer: SalesforceWriter) {}

  async run({ settings, facts, contact }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
    const tenant = this.writer.tenant(settings);
    return this.writer.create(tenant, 'Case', {
      Subject: facts.subject.slice(0, 255),
      Description: facts.description,
      Origin: 'Phone',
      SuppliedPhone: facts.external.number,
      ContactId: contact?.objectType === 'Contact' ? contact.recordId : undefined,
      AccountId: await this.writer.accountOf(tenant, contact),
    });
  }
}

/** CreateContact: a Lead with the caller's name and number (the core has checked none exists yet). */
@WorkflowHandlerProvider()
@Injectable()
export class SalesforceCreateContact implements WorkflowHandler<SalesforceSettings> {
  readonly sourceId = SALESFORCE_SOURCE_ID;
  readonly workflow = CREATE_CONTACT;

  constructor(private readonly writer: SalesforceWriter) {}

  async run({ facts, settings }: WorkflowCall<SalesforceSettings>): Promise<WorkflowResult> {
    const { first, last } = splitName(facts.external.name);
    return this.writer.create(this.writer.tenant(settings), 'Lead', {
      FirstName: first,
      LastName: last ?? 'Unknown caller',
      Company: settings.SALESFORCE_LEAD_COMPANY ?? 'Unknown',
      Phone: facts.external.number,
      LeadSource: 'Phone Inquiry',
    });
  }
}
