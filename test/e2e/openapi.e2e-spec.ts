import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Controller, Get, Post, RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { ApiExcludeController, DECORATORS, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import Ajv, { type ValidateFunction } from 'ajv';
import { FakeSalesforce } from '../fakes/salesforce/fake-salesforce';
import { withBrowser } from '../support/browser';
import { listening } from '../support/raw-http';
import { ACME_TENANT, PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

const HEADER = 'X-Execution-Token';
const SF_TOKEN = 'sf-tenant-token';
const BARE_SF_TOKEN = 'bare-sf-token-1';
const METRICS_TOKEN = 'metrics-secret-0123456789';
const ADMIN_TOKEN = 'admin-secret-0123456789abcdef';
/** Nest's catch-all that answers 404 for paths no controller serves. */
const NOT_FOUND_HANDLER = '/{*path}';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Literally from CONTRACT.md part 1: the query parameter, the request body and the answer's card. */
const CONTRACT_QUERY = 'https://clientServiceAddress/someController?PhoneNumber=4178907228';
const CONTRACT_BODY = '{"inputs":{"phoneNumber":"41215522000"}}';
const CONTRACT_CARD = { Name: 'Alexa Holiday', Company: 'White Cross Co', CrmName: 'Sugar CRM', CustomData: { Title1: 'Data1', Title2: 'Data2' } };
/** CONTRACT.md part 2: the `inputs` fields of a workflow, and its answer's. */
const CONTRACT_INPUTS = ['contactCrmId', 'userCrmId', 'originatorNumber', 'originatorName', 'destinationNumber', 'destinationName', 'direction', 'startedTime', 'answeredTime', 'endedTime', 'declinedTime', 'id'];
const CONTRACT_ANSWER_FIELDS = ['id', 'url'];

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }>;
  requestBody?: { content?: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

/** `POST /lookup/:workflow` for every route layer of the app's Express router (handlers, and middleware mounted on routes). */
function registeredRoutes(app: INestApplication): string[] {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } }).router;
  return router.stack.flatMap((layer) =>
    layer.route && layer.route.path !== NOT_FOUND_HANDLER ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`) : [],
  );
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : [typeof value === 'string' ? value : '']);
const joinPath = (...parts: string[]): string => `/${parts.join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
const pathOf = (route: string): string => joinPath(route.slice(route.indexOf(' ') + 1));

interface DeclaredRoute {
  readonly route: string;
  /** Its controller is `@ApiExcludeController()`, or the handler `@ApiExcludeEndpoint()`: left out on purpose. */
  readonly excluded: boolean;
}

/** The routes the app's controllers declare (Nest's own record of them), with whether each is left out of the document on purpose. */
function declaredRoutes(app: INestApplication): DeclaredRoute[] {
  const scanner = new MetadataScanner();
  const routes: DeclaredRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const wholeController = (Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, controller) as boolean[] | undefined)?.[0] === true;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const endpoint = (Reflect.getMetadata(DECORATORS.API_EXCLUDE_ENDPOINT, handler) as { disable?: boolean } | undefined)?.disable === true;
        for (const base of asList(Reflect.getMetadata(PATH_METADATA, controller))) {
          for (const path of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({ route: `${RequestMethod[method]} ${joinPath(base, path)}`, excluded: wholeController || endpoint });
          }
        }
      }
    }
  }
  return routes;
}

/** Express's `/lookup/:workflow` is OpenAPI's `/lookup/{workflow}`. */
const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

interface Coverage {
  /** Declared, not excluded, and not in the document with its method. */
  readonly undocumented: string[];
  /** Declared and left out on purpose. */
  readonly excluded: string[];
  /** Declared but not in the router: the walk would read what the app does not serve. */
  readonly unregistered: string[];
  /** In the router on a path no controller declares: a route added around Nest, which no walk of controllers sees. */
  readonly unexplained: string[];
}

function coverage(app: INestApplication, document: OpenAPIObject): Coverage {
  const declared = declaredRoutes(app);
  const registered = registeredRoutes(app);
  const documented = (route: string): boolean => {
    const [method, path] = route.split(' ') as [string, string];
    return (document.paths[openApiPath(path)] as Record<string, unknown> | undefined)?.[method.toLowerCase()] !== undefined;
  };
  const declaredPaths = new Set(declared.map(({ route }) => pathOf(route)));
  return {
    undocumented: declared.filter((d) => !d.excluded && !documented(d.route)).map((d) => d.route),
    excluded: declared.filter((d) => d.excluded).map((d) => d.route),
    unregistered: declared.filter((d) => !registered.includes(d.route)).map((d) => d.route),
    // Middleware mounted on a controller's route (a body reader, the console's gate) is on a declared path.
    unexplained: registered.filter((route) => !declaredPaths.has(pathOf(route))),
  };
}

/** Every operation of the document, as `METHOD /path`. */
function operationsOf(document: OpenAPIObject): Array<{ route: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => (item as Record<string, unknown>)[method] !== undefined).map((method) => ({
      route: `${method.toUpperCase()} ${path}`,
      operation: (item as Record<string, Operation>)[method]!,
    })),
  );
}

/**
 * Validates values against the document's schemas. OpenAPI 3.0 schemas are JSON Schema with care:
 * `nullable` (Ajv 8 reads it beside `type`), `example` (an annotation here), and `$ref`s to
 * `#/components/schemas/…`, resolved against the document's components.
 */
class DocumentSchemas {
  private readonly ajv = new Ajv({ strict: true, allErrors: true });

  constructor(document: OpenAPIObject) {
    this.ajv.addKeyword('example');
    this.ajv.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)));
    this.ajv.addSchema({ $id: 'components', $defs: rewriteRefs(document.components?.schemas ?? {}) });
  }

  validator(schema: Schema): ValidateFunction {
    return this.ajv.compile(rewriteRefs(schema) as Schema);
  }

  /** The problems of a value against a schema, or [] when it validates. */
  problems(schema: Schema, value: unknown): string[] {
    const validate = this.validator(schema);
    return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
  }
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', 'components#/$defs/') : rewriteRefs(value)]),
  );
}

interface DocumentedExample {
  readonly where: string;
  readonly schema: Schema;
  readonly value: unknown;
}

/** Every example of the document with the schema it must validate against: parameters, bodies, answers, schemas' own. */
function examplesOf(document: OpenAPIObject): DocumentedExample[] {
  const found: DocumentedExample[] = [];
  const fromMedia = (where: string, media: MediaType): void => {
    if (!media.schema) return;
    if (media.example !== undefined) found.push({ where, schema: media.schema, value: media.example });
    for (const [name, example] of Object.entries(media.examples ?? {})) found.push({ where: `${where} (${name})`, schema: media.schema, value: example.value });
  };
  for (const { route, operation } of operationsOf(document)) {
    for (const parameter of operation.parameters ?? []) fromMedia(`${route} ${parameter.in} ${parameter.name}`, parameter);
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) fromMedia(`${route} body ${type}`, media);
    for (const [status, response] of Object.entries(operation.responses)) {
      for (const [type, media] of Object.entries(response.content ?? {})) fromMedia(`${route} ${status} ${type}`, media);
    }
  }
  const walk = (where: string, node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const schema = node as Schema;
    if ('example' in schema && ('type' in schema || 'oneOf' in schema || 'enum' in schema)) found.push({ where, schema, value: schema.example });
    for (const [key, child] of Object.entries(schema)) if (key !== 'example') walk(`${where}.${key}`, child);
  };
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) walk(`#/components/schemas/${name}`, schema);
  return found;
}

function operation(document: OpenAPIObject, method: string, path: string): Operation {
  const found = (document.paths[path] as Record<string, Operation> | undefined)?.[method];
  if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  return found;
}

function responseMedia(document: OpenAPIObject, method: string, path: string, status: number): MediaType {
  const media = operation(document, method, path).responses[String(status)]?.content?.['application/json'];
  if (!media) throw new Error(`${method.toUpperCase()} ${path} documents no JSON answer ${status}`);
  return media;
}

function exampleValue(document: OpenAPIObject, method: string, path: string, status: number, name: string): unknown {
  const example = responseMedia(document, method, path, status).examples?.[name];
  if (!example) throw new Error(`${method.toUpperCase()} ${path} ${status} has no example ${name}`);
  return example.value;
}

function requestExamples(document: OpenAPIObject, method: string, path: string): Record<string, unknown> {
  const content = operation(document, method, path).requestBody?.content?.['application/json'];
  return Object.fromEntries(Object.entries(content?.examples ?? {}).map(([name, example]) => [name, example.value]));
}

describe('OpenAPI document and Swagger UI (e2e)', () => {
  const salesforce = new FakeSalesforce();
  let gateway: TestApp;
  let document: OpenAPIObject;
  let schemas: DocumentSchemas;

  beforeAll(async () => {
    await salesforce.start();
    const salesforceTenant = (token: string, extra: string): string =>
      [`TOKEN=${token}`, `SALESFORCE_LOGIN_URL=${salesforce.url}`, 'SALESFORCE_CLIENT_ID=fake-client-id', 'SALESFORCE_CLIENT_SECRET=fake-client-secret', 'CACHE_TTL_S=0', extra].join('\n');
    gateway = await startTestApp({
      env: { METRICS_TOKEN, ADMIN_TOKEN },
      files: {
        'acme.env': ACME_TENANT,
        'book.csv': PHONE_BOOK_CSV,
        'sf.env': salesforceTenant(SF_TOKEN, 'WORKFLOW_DEFAULT_CRM=salesforce'),
        'bare.env': salesforceTenant(BARE_SF_TOKEN, ''),
      },
    });
    // Without any token, as a browser opens it.
    const response = await gateway.http.get('/docs-json').expect(200).expect('Content-Type', /^application\/json/);
    document = response.body as OpenAPIObject;
    schemas = new DocumentSchemas(document);
  });
  afterAll(async () => {
    await gateway.close();
    await salesforce.stop();
  });

  describe('the routes', () => {
    it('documents every route the app registers, with its method, unless its controller is excluded on purpose', () => {
      const { undocumented, unregistered, unexplained } = coverage(gateway.app, document);
      expect({ undocumented, unregistered, unexplained }).toEqual({ undocumented: [], unregistered: [], unexplained: [] });
      // The walk sees the routes (it would pass vacuously on none).
      expect(declaredRoutes(gateway.app).map((d) => d.route)).toEqual(
        expect.arrayContaining(['GET /lookup', 'POST /lookup/Lookup', 'POST /lookup/:workflow', 'GET /health', 'GET /metrics', 'GET /logos/:file', 'DELETE /admin/outbox/:id']),
      );
    });

    it('documents no operation the app does not serve', () => {
      const patterns = registeredRoutes(gateway.app).map((route) => {
        const [method, path] = route.split(' ') as [string, string];
        return { method, pattern: new RegExp(`^${path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`) };
      });
      const served = (route: string): boolean => {
        const [method, path] = route.split(' ') as [string, string];
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        return patterns.some((p) => p.method === method && p.pattern.test(concrete));
      };
      expect(operationsOf(document).map((o) => o.route).filter((route) => !served(route))).toEqual([]);
    });

    it('shows each workflow on its own path, with its own body and answer examples', () => {
      for (const name of ['CallFlow', 'CreateTicket', 'CreateContact']) {
        const named = operation(document, 'post', `/lookup/${name}`);
        expect(named.parameters?.map((p) => p.name)).toEqual([]);
        expect(Object.keys(requestExamples(document, 'post', `/lookup/${name}`)).length).toBeGreaterThan(0);
        expect(Object.keys(responseMedia(document, 'post', `/lookup/${name}`, 200).examples ?? {}).length).toBeGreaterThan(0);
        expect(Object.keys(named.responses)).toEqual(expect.arrayContaining(['400', '401', '404', '413', '422', '429', '502', '504']));
      }
    });

    it('says who may call each route', () => {
      const securityOf = (method: string, path: string) => operation(document, method, path).security;
      for (const [method, path] of [['get', '/lookup'], ['post', '/lookup'], ['get', '/lookup/Lookup'], ['post', '/lookup/Lookup'], ['post', '/lookup/{workflow}'], ['post', '/lookup/CallFlow']] as const) {
        expect({ path, security: securityOf(method, path) }).toEqual({ path, security: [{ tenantToken: [] }] });
      }
      for (const [method, path] of [['get', '/admin/outbox'], ['post', '/admin/outbox/{id}/retry'], ['delete', '/admin/outbox/{id}']] as const) {
        expect({ path, security: securityOf(method, path) }).toEqual({ path, security: [{ adminToken: [] }] });
      }
      expect(securityOf('get', '/metrics')).toEqual([{ metricsToken: [] }]);
      // Open, or with METRICS_TOKEN for the details.
      expect(securityOf('get', '/health/ready')).toEqual(expect.arrayContaining([{}, { metricsToken: [] }]));
      for (const path of ['/health', '/logos/{file}']) expect({ path, security: securityOf('get', path) }).toEqual({ path, security: undefined });
      expect(document.components?.securitySchemes).toEqual({
        tenantToken: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Execution-Token' }),
        metricsToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      });
    });

    it('documents the error answers each route really gives', () => {
      const statuses = (method: string, path: string) => Object.keys(operation(document, method, path).responses);
      expect(statuses('get', '/lookup')).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
      expect(statuses('get', '/lookup')).not.toContain('404');
      expect(statuses('post', '/lookup')).toEqual(expect.arrayContaining(['200', '400', '401', '413', '415', '429']));
      expect(statuses('post', '/lookup/{workflow}')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '413', '415', '422', '429', '502', '504']));
      expect(statuses('get', '/health/ready')).toEqual(expect.arrayContaining(['200', '401', '503']));
      expect(statuses('get', '/metrics')).toEqual(expect.arrayContaining(['200', '401', '404']));
      expect(statuses('get', '/admin/outbox')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '503']));
      expect(operation(document, 'get', '/lookup').responses['429']).toMatchObject({ headers: { 'Retry-After': expect.any(Object) } });
    });
  });

  describe('the coverage check itself', () => {
    @Controller('pages')
    @ApiExcludeController()
    class ConsolePages {
      @Get(':tenant')
      page(): string {
        return '<html></html>';
      }
    }
    @Controller('things')
    class Things {
      @Post()
      add(): void {}
    }

    it('accepts the routes of an excluded controller, and finds a route the document leaves out or no controller declares', async () => {
      const moduleRef = await Test.createTestingModule({ controllers: [ConsolePages, Things] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        app.getHttpAdapter().get('/around-nest', (_req: unknown, res: { end(): void }) => res.end());
        await app.init();
        const small = SwaggerModule.createDocument(app, new DocumentBuilder().build());
        expect(coverage(app, small)).toEqual({ undocumented: [], excluded: ['GET /pages/:tenant'], unregistered: [], unexplained: ['GET /around-nest'] });
        expect(coverage(app, { ...small, paths: {} }).undocumented).toEqual(['POST /things']);
      } finally {
        await app.close();
      }
    });
  });

  describe('the examples', () => {
    it('validate against their schemas, everywhere in the document', () => {
      const examples = examplesOf(document);
      expect(examples.length).toBeGreaterThan(60);
      const invalid = examples.map(({ where, schema, value }) => ({ where, problems: schemas.problems(schema, value) })).filter((e) => e.problems.length > 0);
      expect(invalid).toEqual([]);
    });

    it('are checked for real: the schemas refuse what the gateway refuses', () => {
      const card = responseMedia(document, 'get', '/lookup', 200).schema!;
      const [contractCard] = exampleValue(document, 'get', '/lookup', 200, 'contract') as Array<Record<string, unknown>>;
      const { Name: _name, ...withoutName } = contractCard!;
      expect(schemas.problems(card, [withoutName])).toEqual(["/0 must have required property 'Name'"]);
      const body = operation(document, 'post', '/lookup/{workflow}').requestBody!.content!['application/json']!.schema!;
      const inputs = { direction: 'incoming', startedTime: '2026-11-24 10:15:00' };
      expect(schemas.problems(body, { inputs: { ...inputs, id: null, answeredTime: null, endedTime: 1795511640 } })).toEqual([]);
      expect(schemas.problems(body, { inputs: { ...inputs, direction: 'sideways' } })).not.toEqual([]);
      expect(schemas.problems(body, { inputs: { ...inputs, startedTime: null } })).not.toEqual([]);
      expect(schemas.problems(body, { inputs: { ...inputs, id: 7 } })).not.toEqual([]);
      expect(schemas.problems(body, {})).toEqual(["/ must have required property 'inputs'"]);
    });

    it("hold the contract's examples", () => {
      const phoneNumber = operation(document, 'get', '/lookup').parameters!.find((p) => p.name === 'PhoneNumber')!;
      expect(Object.values(phoneNumber.examples ?? {}).map((e) => e.value)).toContain(new URL(CONTRACT_QUERY).searchParams.get('PhoneNumber'));
      for (const path of ['/lookup', '/lookup/Lookup']) expect(Object.values(requestExamples(document, 'post', path))).toContainEqual(JSON.parse(CONTRACT_BODY));
      expect(exampleValue(document, 'get', '/lookup', 200, 'contract')).toEqual([expect.objectContaining(CONTRACT_CARD)]);
      expect(exampleValue(document, 'get', '/lookup', 200, 'nothingFound')).toEqual([]);
      expect(Object.keys((document.components!.schemas!.WorkflowInputs as { properties: object }).properties).sort()).toEqual([...CONTRACT_INPUTS].sort());
      expect(Object.keys((document.components!.schemas!.WorkflowAnswerBody as { properties: object }).properties).sort()).toEqual(CONTRACT_ANSWER_FIELDS);
    });

    it("are what the gateway answers to the contract's requests", async () => {
      const byQuery = await gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, TOKEN).expect(200);
      expect(byQuery.body).not.toEqual([]);
      expect(schemas.problems(responseMedia(document, 'get', '/lookup', 200).schema!, byQuery.body)).toEqual([]);
      const byBody = await gateway.http.post('/lookup').set(HEADER, TOKEN).set('Content-Type', 'application/json').send(CONTRACT_BODY).expect(200);
      expect(schemas.problems(responseMedia(document, 'post', '/lookup', 200).schema!, byBody.body)).toEqual([]);
    });

    it('run as they are documented, each workflow against a Salesforce org, and its answer has the documented form', async () => {
      const answerSchema = responseMedia(document, 'post', '/lookup/{workflow}', 200).schema!;
      let ourTask: string | undefined;
      for (const name of ['CallFlow', 'CreateTicket', 'CreateContact']) {
        for (const [example, body] of Object.entries(requestExamples(document, 'post', `/lookup/${name}`))) {
          const { inputs } = body as { inputs: Record<string, unknown> };
          // A later request of the call carries the id the first was answered with.
          const sent = typeof inputs.id === 'string' ? { inputs: { ...inputs, id: ourTask } } : body;
          const response = await gateway.http.post(`/lookup/${name}`).set(HEADER, SF_TOKEN).send(sent as object);
          expect({ example, status: response.status }).toEqual({ example, status: 200 });
          expect({ example, problems: schemas.problems(answerSchema, response.body) }).toEqual({ example, problems: [] });
          if (name === 'CallFlow') ourTask ??= (response.body as { id: string }).id;
        }
      }
      expect(ourTask).toMatch(/^salesforce:Task:/);
    });
  });

  describe('the error examples are the answers the code gives', () => {
    const post = (path: string, token: string) => gateway.http.post(path).set(HEADER, token);
    const call = { direction: 'incoming', originatorNumber: '41789072228', startedTime: '2026-11-24 10:15:00' };
    const cases: Array<[string, string, number, string, () => ReturnType<typeof gateway.http.get>]> = [
      ['get', '/lookup', 400, 'noPhoneNumber', () => gateway.http.get('/lookup').set(HEADER, TOKEN)],
      ['get', '/lookup', 401, 'invalidToken', () => gateway.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'wrong-token-123')],
      ['post', '/lookup', 400, 'wrongShape', () => post('/lookup', TOKEN).send({ inputs: 5 })],
      ['post', '/lookup', 400, 'wrongField', () => post('/lookup', TOKEN).send({ inputs: { phoneNumber: { digits: 41 } } })],
      ['post', '/lookup', 400, 'notJson', () => post('/lookup', TOKEN).set('Content-Type', 'application/json').send('{x')],
      ['post', '/lookup', 415, 'encoding', () => post('/lookup', TOKEN).set('Content-Type', 'application/json; charset=iso-8859-1').send(CONTRACT_BODY)],
      ['post', '/lookup', 413, 'tooLarge', () => post('/lookup', TOKEN).send({ inputs: { phoneNumber: '4'.repeat(3000) } })],
      ['post', '/lookup/{workflow}', 400, 'wrongShape', () => post('/lookup/CallFlow', SF_TOKEN).send({ direction: 'incoming' })],
      ['post', '/lookup/{workflow}', 400, 'badTime', () => post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, endedTime: 'later' } })],
      ['post', '/lookup/{workflow}', 400, 'noDirection', () => post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, direction: undefined } })],
      ['post', '/lookup/{workflow}', 400, 'timesOutOfOrder', () => post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, endedTime: '2026-11-24 10:14:00' } })],
      ['post', '/lookup/{workflow}', 404, 'unknownWorkflow', () => post('/lookup/SendFax', SF_TOKEN).send({ inputs: call })],
      ['post', '/lookup/{workflow}', 404, 'noWorkflows', () => post('/lookup/CallFlow', TOKEN).send({ inputs: call })],
      ['post', '/lookup/{workflow}', 413, 'tooLarge', () => post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, note: 'x'.repeat(9000) } })],
      ['post', '/lookup/{workflow}', 415, 'encoding', () => post('/lookup/CallFlow', SF_TOKEN).set('Content-Type', 'application/json; charset=iso-8859-1').send(JSON.stringify({ inputs: call }))],
      ['post', '/lookup/{workflow}', 422, 'notOurs', () => post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, contactCrmId: 'not-ours' } })],
      ['post', '/lookup/{workflow}', 422, 'nowhereToWrite', () => post('/lookup/CallFlow', BARE_SF_TOKEN).send({ inputs: { ...call, originatorNumber: '41790000000' } })],
      ['get', '/health/ready', 401, 'invalidToken', () => gateway.http.get('/health/ready').set('Authorization', 'Bearer wrong')],
      ['get', '/metrics', 401, 'invalidToken', () => gateway.http.get('/metrics').set('Authorization', 'Bearer wrong')],
      ['get', '/logos/{file}', 404, 'unknown', () => gateway.http.get('/logos/salesforce.png')],
      ['get', '/admin/outbox', 401, 'invalidToken', () => gateway.http.get('/admin/outbox').set('Authorization', `Bearer ${TOKEN}`)],
      ['get', '/admin/outbox', 400, 'badState', () => gateway.http.get('/admin/outbox?state=lost').set('Authorization', `Bearer ${ADMIN_TOKEN}`)],
      ['get', '/admin/outbox', 400, 'badLimit', () => gateway.http.get('/admin/outbox?limit=0').set('Authorization', `Bearer ${ADMIN_TOKEN}`)],
      ['post', '/admin/outbox/{id}/retry', 404, 'noSuchWrite', () => gateway.http.post('/admin/outbox/6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e/retry').set('Authorization', `Bearer ${ADMIN_TOKEN}`)],
      ['delete', '/admin/outbox/{id}', 404, 'noSuchWrite', () => gateway.http.delete('/admin/outbox/6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e').set('Authorization', `Bearer ${ADMIN_TOKEN}`)],
    ];

    it.each(cases)('%s %s %i (%s)', async (method, path, status, name, send) => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(response.body).toEqual(exampleValue(document, method, path, status, name));
    });

    it("answers a CRM's refusal 502, in the documented form", async () => {
      salesforce.failWrites = { status: 400 };
      try {
        const response = await post('/lookup/CallFlow', SF_TOKEN).send({ inputs: { ...call, contactCrmId: 'salesforce:Contact:003000000000001AAA', startedTime: '2026-11-24 11:00:00' } });
        expect(response.status).toBe(502);
        const documented = responseMedia(document, 'post', '/lookup/{workflow}', 502);
        expect(schemas.problems(documented.schema!, response.body)).toEqual([]);
        expect(Object.keys(response.body as object).sort()).toEqual(Object.keys(documented.examples!.refused!.value as object).sort());
      } finally {
        salesforce.failWrites = undefined;
      }
    });
  });

  describe('Swagger UI at /docs', () => {
    it('serves the page and every asset it loads from the gateway itself, without a token', async () => {
      const page = await gateway.http.get('/docs').expect(200).expect('Content-Type', /^text\/html/);
      expect(page.text).toContain('<div id="swagger-ui"></div>');
      expect(page.text).toContain('<title>CONNECTOR lookup gateway: API</title>');
      const assets = [...page.text.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map(([, url]) => url!);
      expect(assets.filter((url) => /^(https?:)?\/\//.test(url))).toEqual([]);
      const expectedType = (url: string): RegExp =>
        url.endsWith('.css') ? /^text\/css/ : url.endsWith('.js') ? /^(application|text)\/javascript/ : url.endsWith('.png') ? /^image\/png/ : /^never/;
      expect(assets.map((url) => url.replace(/^.*\./, '')).sort()).toEqual(['css', 'js', 'js', 'js', 'png', 'png']);
      for (const asset of assets) {
        const url = new URL(asset, 'http://gateway.test/docs').pathname;
        await gateway.http.get(url).expect(200).expect('Content-Type', expectedType(url));
      }
    });

    it('serves the installed swagger-ui-dist, and the page is given the document', async () => {
      const installed = dirname(require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }));
      const served = await gateway.http.get('/docs/swagger-ui-bundle.js').expect(200);
      expect(served.text).toBe(readFileSync(`${installed}/swagger-ui-bundle.js`, 'utf8'));
      const init = await gateway.http.get('/docs/swagger-ui-init.js').expect(200).expect('Content-Type', /^application\/javascript/);
      expect(init.text).toContain('"title": "CONNECTOR lookup gateway"');
      expect(init.text).toContain('"validatorUrl": null');
    });

    it('renders every operation in a real browser, loading nothing from elsewhere', async () => {
      const origin = `http://127.0.0.1:${await listening(gateway)}`;
      await withBrowser(async (browser) => {
        const page = await browser.newPage();
        const requested: string[] = [];
        const errors: string[] = [];
        page.on('request', (request) => requested.push(request.url()));
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${origin}/docs`);
        const operations = operationsOf(document).length;
        await page.waitForFunction((count) => window.document.querySelectorAll('.opblock').length === count, operations, { timeout: 30_000 });
        expect(await page.locator('.opblock-summary-path').allInnerTexts()).toEqual(expect.arrayContaining(['/lookup', '/lookup/CallFlow', '/lookup/{workflow}', '/admin/outbox']));
        expect(await page.locator('.info .title').innerText()).toContain('CONNECTOR lookup gateway');
        expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
        expect(errors).toEqual([]);
        if (process.env.OPENAPI_SCREENSHOT) await page.screenshot({ path: process.env.OPENAPI_SCREENSHOT, fullPage: true });
      });
    }, 60_000);

    it('lets a wrong token through too: the docs are public', async () => {
      await gateway.http.get('/docs-json').set(HEADER, 'wrong-token-123').expect(200);
      await gateway.http.get('/docs').set(HEADER, 'wrong-token-123').expect(200);
    });
  });

  describe('throttled addresses', () => {
    it('are answered 429 as documented, with Retry-After', async () => {
      await withTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '1' }, files: { 'acme.env': ACME_TENANT, 'book.csv': PHONE_BOOK_CSV } }, async (throttled) => {
        const attempt = () => throttled.http.get('/lookup?PhoneNumber=41789072228').set(HEADER, 'wrong-token-123');
        expect((await attempt()).status).toBe(401);
        const refused = await attempt().expect(429);
        const retryAfter = Number(refused.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        const documented = exampleValue(document, 'get', '/lookup', 429, 'throttled') as { message: string };
        expect(refused.body).toEqual({ ...documented, message: documented.message.replace(/\d+ s\.$/, `${retryAfter} s.`) });
      });
    });
  });

  describe('API_DOCS=off', () => {
    it('answers /docs, its assets and /docs-json 404, as any unknown path; and the off answers are the documented ones', async () => {
      await withTestApp({ env: { API_DOCS: 'off' }, files: { 'acme.env': ACME_TENANT, 'book.csv': PHONE_BOOK_CSV } }, async (bare) => {
        for (const path of ['/docs', '/docs/', '/docs-json', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js']) {
          const response = await bare.http.get(path);
          expect({ path, status: response.status, body: response.body }).toEqual({ path, status: 404, body: { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` } });
        }
        // Without METRICS_TOKEN and ADMIN_TOKEN, as documented.
        expect((await bare.http.get('/metrics').expect(404)).body).toEqual(exampleValue(document, 'get', '/metrics', 404, 'off'));
        expect((await bare.http.get('/admin/outbox').expect(404)).body).toEqual(exampleValue(document, 'get', '/admin/outbox', 404, 'off'));
      });
    });
  });
});
