import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject, type ParameterObject, type ReferenceObject, type RequestBodyObject, type ResponseObject } from '@nestjs/swagger';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { SECURITY } from './http/openapi-answers';
import { DOCUMENTED_WORKFLOWS } from './workflows/workflow-request.dto';

/** Swagger UI (`/docs`, its assets under `/docs/`) and the OpenAPI document (`/docs-json`). */
export const API_DOCS_PATH = '/docs';
export const API_DOCUMENT_PATH = '/docs-json';
/** The route that serves every workflow; the document also shows each documented workflow on its own path. */
export const WORKFLOW_ROUTE = '/lookup/{workflow}';

const DESCRIPTION = `
A phone-lookup gateway for peoplefone's CONNECTOR: on every call the CONNECTOR asks \`GET /lookup?PhoneNumber=…\`,
and the gateway answers at most five contact cards from the tenant's CRMs while the phone rings. Business
workflows (\`POST /lookup/<WorkflowName>\`) write the call into the CRM that owns the contact, once.

**Who may call.** Lookups and workflows need one of a tenant's tokens in its header (\`X-Execution-Token\`, or
the tenant's \`AUTH_HEADER\`): the token tells which tenant asks. \`/metrics\` and the details of
\`/health/ready\` need \`Authorization: Bearer <METRICS_TOKEN>\`, the admin API \`Authorization: Bearer <ADMIN_TOKEN>\`;
a tenant's token opens neither. \`/health\`, \`/health/ready\`, \`/logos/…\` and these docs are open.

**Every route.** Any 4xx closes the connection after it. A request without a tenant's token that carries a body
is refused (401, or 429 when its address is throttled) before the body is read. A client slower than
\`HEADERS_TIMEOUT_S\` / \`REQUEST_TIMEOUT_S\` to send its request gets 408. Every answer carries \`X-Request-Id\`
(the caller's, when it sends a sane one), which the gateway's log lines carry too.
`.trim();

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The OpenAPI document of the gateway's routes, from their decorators. */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('CONNECTOR lookup gateway')
    .setDescription(DESCRIPTION)
    .setVersion(packageVersion())
    .addTag('lookup', 'Who is calling: the CONNECTOR\'s lookup (CONTRACT.md part 1).')
    .addTag('workflows', 'Business workflows: the call written into the CRM (CONTRACT.md part 2).')
    .addTag('monitoring', 'Liveness, readiness and metrics.')
    .addTag('logos', 'The badges the cards\' CrmLogo point at.')
    .addTag('admin', 'The admin API: the outbox of workflow writes (ADMIN_TOKEN).')
    .addSecurity(SECURITY.tenantToken, {
      type: 'apiKey',
      in: 'header',
      name: 'X-Execution-Token',
      description: "One of the tenant's `TOKEN`s (comma-separated in its file, for rotation), in the tenant's `AUTH_HEADER` (default `X-Execution-Token`).",
    })
    .addSecurity(SECURITY.metricsToken, { type: 'http', scheme: 'bearer', description: '`METRICS_TOKEN` (global setting, 16+ characters).' })
    .addSecurity(SECURITY.adminToken, { type: 'http', scheme: 'bearer', description: '`ADMIN_TOKEN` (global setting, 24+ characters).' })
    .build();
  // One handler serving two paths (`/lookup`, `/lookup/Lookup`) gets `[0]`, `[1]` after its ids.
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
  return withNamedWorkflows(document);
}

/**
 * `POST /lookup/{workflow}` serves every workflow; the CONNECTOR is configured with one URL per workflow
 * (`/lookup/CallFlow`), so each documented workflow gets that path too, with its own examples.
 */
export function withNamedWorkflows(document: OpenAPIObject): OpenAPIObject {
  const generic = document.paths[WORKFLOW_ROUTE]?.post;
  if (!generic) return document;
  const named = Object.fromEntries(
    DOCUMENTED_WORKFLOWS.map((workflow) => {
      const operation: OperationObject = {
        ...generic,
        operationId: `Workflows_${workflow.name}`,
        summary: workflow.summary,
        description: `${workflow.description}\n\nThe same as \`POST /lookup/{workflow}\` with \`workflow=${workflow.name}\` (any case).`,
        parameters: (generic.parameters ?? []).filter((parameter) => !isPathParameter(parameter, 'workflow')),
        requestBody: withExamples(generic.requestBody, workflow.requests),
        responses: { ...generic.responses, 200: withExamples(generic.responses['200'], workflow.answers) },
      };
      return [`/lookup/${workflow.name}`, { post: operation }];
    }),
  );
  // Before the generic route, as a reader looks for them.
  const paths = Object.entries(document.paths).flatMap(([path, item]) => (path === WORKFLOW_ROUTE ? [...Object.entries(named), [path, item]] : [[path, item]]));
  return { ...document, paths: Object.fromEntries(paths) as OpenAPIObject['paths'] };
}

function isPathParameter(parameter: ParameterObject | ReferenceObject, name: string): boolean {
  return 'in' in parameter && parameter.in === 'path' && parameter.name === name;
}

/** A copy of a request body or response whose JSON content has only these examples. */
function withExamples<T extends RequestBodyObject | ResponseObject | ReferenceObject | undefined>(part: T, examples: Readonly<Record<string, { summary: string; value: unknown }>>): T {
  if (part === undefined || '$ref' in part || !part.content) return part;
  const content = Object.fromEntries(Object.entries(part.content).map(([type, media]) => [type, { ...media, examples: { ...examples } }]));
  return { ...part, content };
}

/**
 * Serves the docs from a router of their own, mounted with `app.use`, in front of the routes: they are no
 * route of the API (the route walks, the guard and `@Public()` concern the API), and the early token
 * check still runs before them (no token: `Connection: close`; a body without a token: refused unread).
 * The UI's assets come from the installed swagger-ui-dist; the document is built on the first request.
 */
export function serveApiDocs(app: NestExpressApplication): void {
  const router = Router();
  const routerAdapter = new ExpressAdapter(router);
  // SwaggerModule registers its routes and static assets through these two; everything else is the app's.
  const docsHost = new Proxy(app, {
    get: (target, key, receiver): unknown => {
      if (key === 'getHttpAdapter') return () => routerAdapter;
      if (key === 'useStaticAssets') return (path: string, options: { prefix: string }): void => void routerAdapter.useStaticAssets(path, options);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  SwaggerModule.setup(API_DOCS_PATH, docsHost, () => buildApiDocument(app), {
    raw: ['json'],
    jsonDocumentUrl: API_DOCUMENT_PATH,
    customSiteTitle: 'CONNECTOR lookup gateway: API',
    // No call from the page to swagger.io's online validator: the page loads only what the gateway serves.
    swaggerOptions: { validatorUrl: null },
  });
  // Every lookup passes here: one string test, not the docs router's routes.
  app.use((req: Request, res: Response, next: NextFunction) => (req.url.startsWith(API_DOCS_PATH) ? router(req, res, next) : next()));
}
