import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { workflowCall } from '../../test/support/workflow-calls';
import { globalSettings, loadGlobalSettings } from '../config/global-settings';
import type { LookupSource } from '../core/source';
import { CALL_FLOW, CREATE_TICKET, LOGGED_CALL, type WorkflowCall, type WorkflowResult } from '../core/workflow-handler';
import { AttachedTenants, type SourceWithTenants } from './attached-tenants';
import { sourceWorkflows } from './source-workflows';
import { DuplicateWorkflowHandlerError, WorkflowRegistry } from './workflow-registry';
import { WorkflowRegistryModule } from './workflow-registry.module';

class Settings {}

interface Written {
  readonly tenant: string;
  readonly how: 'create' | 'update';
  readonly recordId?: string;
}

@Injectable()
class NotebookSource implements SourceWithTenants<Settings, { name: string }> {
  readonly id = 'notebook';
  readonly keyPrefix = 'NOTEBOOK';
  readonly defaultDisplayName = 'Notebook';
  readonly badge = { letters: 'NB', color: '#000000' };
  readonly recordIds = {};
  readonly settingsSchema = Settings;
  readonly tenants = new AttachedTenants<Settings, { name: string }>('The notebook');
  isEnabled(): boolean {
    return true;
  }
  search(): ReturnType<LookupSource['search']> {
    return Promise.resolve([]);
  }
}

const written: Written[] = [];
function wrote(entry: Written, objectType: string, recordId: string): Promise<WorkflowResult> {
  written.push(entry);
  return Promise.resolve({ objectType, recordId });
}

const NOTEBOOK_WORKFLOWS = sourceWorkflows(NotebookSource, [
  {
    workflow: CALL_FLOW,
    previousTypes: { Note: LOGGED_CALL },
    update: { types: ['Note'], write: (tenant, note) => wrote({ tenant: tenant.name, how: 'update', recordId: note.recordId }, 'Note', note.recordId) },
    create: (tenant) => wrote({ tenant: tenant.name, how: 'create' }, 'Note', 'n1'),
  },
  { workflow: CREATE_TICKET, create: (tenant) => wrote({ tenant: tenant.name, how: 'create' }, 'Todo', 't1') },
]);

function call(settings: Settings, previous?: WorkflowCall['previous']): WorkflowCall<Settings> {
  return workflowCall(settings, { previous });
}

describe('sourceWorkflows', () => {
  beforeEach(() => (written.length = 0));

  async function started(providers: Parameters<typeof Test.createTestingModule>[0]['providers'], env: Record<string, string> = {}) {
    const settings = { provide: globalSettings.KEY, useValue: loadGlobalSettings(env) };
    const moduleRef = await Test.createTestingModule({ imports: [WorkflowRegistryModule], providers: [settings, ...(providers ?? [])] }).compile();
    await moduleRef.init();
    return moduleRef;
  }

  it('declares one discoverable handler per workflow, of the source, named as a hand-written class would be', async () => {
    const moduleRef = await started([NotebookSource, ...NOTEBOOK_WORKFLOWS]);
    const registry = moduleRef.get(WorkflowRegistry);
    expect(registry.namesOf('notebook')).toEqual([CALL_FLOW, CREATE_TICKET]);
    expect(registry.find('notebook', 'callflow')).toMatchObject({ sourceId: 'notebook', workflow: CALL_FLOW, previousTypes: { Note: LOGGED_CALL }, updates: ['Note'] });
    expect(registry.find('notebook', CREATE_TICKET)?.updates).toBeUndefined();
    expect(NOTEBOOK_WORKFLOWS.map((handler) => handler.name)).toEqual(['NotebookCallFlow', 'NotebookCreateTicket']);
    await moduleRef.close();
  });

  it("writes with the tenant's state, updating only a record of a type it updates", async () => {
    const moduleRef = await started([NotebookSource, ...NOTEBOOK_WORKFLOWS]);
    const settings = new Settings();
    moduleRef.get(NotebookSource).tenants.set(settings, { name: 'acme notebook' });
    const callFlow = moduleRef.get(WorkflowRegistry).find('notebook', CALL_FLOW)!;

    await callFlow.run(call(settings));
    await callFlow.run(call(settings, { sourceId: 'notebook', objectType: 'Note', recordId: 'n1' }));
    await callFlow.run(call(settings, { sourceId: 'notebook', objectType: 'Todo', recordId: 't1' }));
    expect(written).toEqual([
      { tenant: 'acme notebook', how: 'create' },
      { tenant: 'acme notebook', how: 'update', recordId: 'n1' },
      { tenant: 'acme notebook', how: 'create' },
    ]);
    await moduleRef.close();
  });

  it('refuses, as a rejected run, settings the source was not set up with', async () => {
    const moduleRef = await started([NotebookSource, ...NOTEBOOK_WORKFLOWS]);
    const run = moduleRef.get(WorkflowRegistry).find('notebook', CREATE_TICKET)!.run(call(new Settings()));
    await expect(run).rejects.toMatchObject({ code: 'CONFIG', message: 'The notebook is not set up for this tenant' });
    expect(written).toEqual([]);
    await moduleRef.close();
  });

  it("finds a create's record with the tenant's state, no sooner than the global settings say it is findable", async () => {
    const looked: string[] = [];
    const findable = sourceWorkflows(NotebookSource, [
      {
        workflow: CALL_FLOW,
        create: (tenant) => wrote({ tenant: tenant.name, how: 'create' }, 'Note', 'n1'),
        findWritten: async (tenant, { callKey }) => {
          looked.push(`${tenant.name}: ${callKey}`);
          return { objectType: 'Note', recordId: 'n1' };
        },
        findableAfterMs: (settings) => settings.HUBSPOT_SEARCH_LAG_S * 1000,
      },
      { workflow: CREATE_TICKET, create: (tenant) => wrote({ tenant: tenant.name, how: 'create' }, 'Todo', 't1') },
    ]);
    const moduleRef = await started([NotebookSource, ...findable], { HUBSPOT_SEARCH_LAG_S: '7' });
    const settings = new Settings();
    moduleRef.get(NotebookSource).tenants.set(settings, { name: 'acme notebook' });
    const registry = moduleRef.get(WorkflowRegistry);
    const callFlow = registry.find('notebook', CALL_FLOW)!;
    expect(callFlow.findableAfterMs).toBe(7000);
    await expect(callFlow.findWritten!({ ...call(settings), callKey: 'k-1' })).resolves.toEqual({ objectType: 'Note', recordId: 'n1' });
    expect(looked).toEqual(['acme notebook: k-1']);
    expect(registry.find('notebook', CREATE_TICKET)).toMatchObject({ findWritten: undefined, findableAfterMs: undefined });
    await moduleRef.close();
  });

  it('refuses to start with two handlers for one workflow of a source', async () => {
    const again = sourceWorkflows(NotebookSource, [{ workflow: 'callflow', create: (tenant) => wrote({ tenant: tenant.name, how: 'create' }, 'Note', 'n2') }]);
    await expect(started([NotebookSource, ...NOTEBOOK_WORKFLOWS, ...again])).rejects.toBeInstanceOf(DuplicateWorkflowHandlerError);
  });
});
