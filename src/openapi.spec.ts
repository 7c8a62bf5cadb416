import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import { loadGlobalSettings } from './config/global-settings';
import { ConfigurationError } from './config/settings-validation';
import { withNamedWorkflows, WORKFLOW_ROUTE } from './openapi';
import { DOCUMENTED_WORKFLOWS } from './workflows/workflow-request.dto';

const json = (examples: Record<string, { summary: string; value: unknown }>) => ({ 'application/json': { schema: { $ref: '#/components/schemas/X' }, examples } });

function documentWithGenericRoute(): OpenAPIObject {
  const generic: OperationObject = {
    operationId: 'Workflows_run',
    summary: 'Run a business workflow',
    parameters: [
      { name: 'workflow', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'X-Request-Id', in: 'header', required: false, schema: { type: 'string' } },
    ],
    requestBody: { content: json({ any: { summary: 'any', value: { inputs: {} } } }) },
    responses: {
      200: { description: 'written', content: json({ any: { summary: 'any', value: { id: 'x' } } }) },
      404: { description: 'unknown workflow' },
    },
  };
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: { '/lookup': { get: { responses: {} } }, [WORKFLOW_ROUTE]: { post: generic }, '/health': { get: { responses: {} } } },
  };
}

describe('withNamedWorkflows', () => {
  const names = DOCUMENTED_WORKFLOWS.map((workflow) => workflow.name);

  it('puts each documented workflow on its own path, before the generic route', () => {
    expect(names).toEqual(['CallFlow', 'CreateTicket', 'CreateContact']);
    const document = withNamedWorkflows(documentWithGenericRoute());
    expect(Object.keys(document.paths)).toEqual(['/lookup', '/lookup/CallFlow', '/lookup/CreateTicket', '/lookup/CreateContact', WORKFLOW_ROUTE, '/health']);
  });

  it("gives each its own summary, id and examples, keeps the other parameters and answers, and leaves the generic route as it was", () => {
    const document = withNamedWorkflows(documentWithGenericRoute());
    for (const workflow of DOCUMENTED_WORKFLOWS) {
      const named = document.paths[`/lookup/${workflow.name}`]!.post!;
      expect(named).toMatchObject({ operationId: `Workflows_${workflow.name}`, summary: workflow.summary });
      expect(named.description).toContain(`workflow=${workflow.name}`);
      expect(named.parameters).toEqual([{ name: 'X-Request-Id', in: 'header', required: false, schema: { type: 'string' } }]);
      expect(named.requestBody).toEqual({ content: json({ ...workflow.requests }) });
      expect(named.responses['200']).toEqual({ description: 'written', content: json({ ...workflow.answers }) });
      expect(named.responses['404']).toEqual({ description: 'unknown workflow' });
    }
    expect(document.paths[WORKFLOW_ROUTE]!.post).toEqual(documentWithGenericRoute().paths[WORKFLOW_ROUTE]!.post);
  });

  it('leaves a document without the workflow route as it is', () => {
    const document: OpenAPIObject = { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/health': { get: { responses: {} } } } };
    expect(withNamedWorkflows(document)).toBe(document);
  });
});

describe('API_DOCS', () => {
  it('is on unless set off', () => {
    expect(loadGlobalSettings({}).API_DOCS).toBe('on');
    expect(loadGlobalSettings({ API_DOCS: 'off' }).API_DOCS).toBe('off');
  });

  it('refuses anything but on or off, naming the setting', () => {
    expect(() => loadGlobalSettings({ API_DOCS: 'no' })).toThrow(ConfigurationError);
    expect(() => loadGlobalSettings({ API_DOCS: 'no' })).toThrow('API_DOCS="no": must be on (serve /docs and /docs-json) or off');
  });
});
