import Ajv, { type ErrorObject } from 'ajv';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { isMissing } from '../../config/file-errors';
import { CONTACT_ID_OF_TYPE, parseTemplateString, placeholdersOf, PlaceholderSyntaxError, type TemplatePart } from './placeholders';
import { UNSAFE_PATH_CHARACTERS } from './response-mapping';
import {
  RESERVED_PARAMETER_NAMES,
  type AnswerFormat,
  TEMPLATE_SCHEMA,
  type ErrorMapping,
  type KindMapping,
  type NumberForm,
  type ResponseMapping,
  type Template,
  type TemplateAuth,
  type TemplateLimits,
  type TemplateParameter,
  type TemplateRequest,
  type TemplateWorkflow,
  type TemplateWorkflowName,
  type TemplateWrite,
} from './template-format';

/** The templates shipped with the gateway: `templates/` at the repository root (beside `dist/` when built). */
export const SHIPPED_TEMPLATES_DIR = resolve(__dirname, '../../../templates');
const TEMPLATE_FILE = /^[^.].*\.ya?ml$/;
const MAX_FILE_BYTES = 256 * 1024;
const DEFAULT_CONCURRENCY = 4;
/**
 * Prefixes whose keys would be mistaken for the core's tenant keys (`CACHE_TTL_S`, `TOKEN`, …) or the
 * built-in sources' (checked by id and prefix beside them as well).
 */
const RESERVED_PREFIXES = ['TOKEN', 'AUTH', 'DEFAULT', 'RESPONSE', 'CRM', 'TIMEZONE', 'LANGUAGE', 'WORKFLOW', 'CACHE', 'CUSTOM', 'TEMPLATES'];
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const FORBIDDEN_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'content-type'];
const QUERY_NAME = /^[A-Za-z0-9_.$[\]-]{1,64}$/;

export interface TemplateProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

/** A template that cannot be used: the start stops, naming the file, the line and column, and the problem. */
export class TemplateError extends Error {
  constructor(readonly problems: readonly TemplateProblem[]) {
    super(`Invalid template file:\n${problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.problem}`).join('\n')}`);
    this.name = 'TemplateError';
  }
}

/** A string of the template, split into text and placeholders once, at start. */
export type CompiledBody = { readonly text: readonly TemplatePart[] } | { readonly list: readonly CompiledBody[] } | { readonly map: ReadonlyArray<readonly [string, CompiledBody]> } | { readonly value: unknown };

export interface CompiledRequest {
  readonly request: TemplateRequest;
  readonly path: readonly TemplatePart[];
  readonly query: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly headers: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly body?: CompiledBody;
  readonly idPattern: RegExp;
  readonly links: { readonly contactUrl?: readonly TemplatePart[]; readonly companyUrl?: readonly TemplatePart[] };
}

export interface CompiledAuth {
  readonly auth: TemplateAuth;
  /** Each credential field's template (`token`, `username`, `value`, `clientId`, …). */
  readonly fields: Readonly<Record<string, readonly TemplatePart[]>>;
}

/** One write of a workflow, its strings split. */
export interface CompiledWrite {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly path: readonly TemplatePart[];
  readonly query: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly headers: ReadonlyArray<readonly [string, readonly TemplatePart[]]>;
  readonly body?: CompiledBody;
}

export interface CompiledWorkflow {
  readonly workflow: TemplateWorkflow;
  readonly idPattern: RegExp;
  readonly create: CompiledWrite;
  readonly update?: CompiledWrite;
  readonly find?: CompiledWrite;
  readonly url?: readonly TemplatePart[];
}

/** A template as the source uses it: checked, its strings split, its patterns compiled. */
export interface LoadedTemplate {
  readonly template: Template;
  readonly requests: readonly CompiledRequest[];
  readonly workflows: readonly CompiledWorkflow[];
  readonly auth: CompiledAuth;
  readonly parameterPatterns: ReadonlyMap<string, RegExp>;
}

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, discriminator: true, allowUnionTypes: true, strict: true }).compile(TEMPLATE_SCHEMA);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

type YamlPath = ReadonlyArray<string | number>;

/** Where a value (or, with `key`, its key) starts in the file, as line and column counted from 1. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  problem(path: YamlPath, problem: string, options: { key?: boolean } = {}): TemplateProblem {
    return { file: this.file, ...this.position(path, options.key ?? false), problem: `${describePath(path)}${problem}` };
  }

  private position(path: YamlPath, key: boolean): { line: number; column: number } {
    // The deepest node found on the path: a missing key is reported where its map is.
    for (let depth = path.length; depth >= 0; depth--) {
      const at = path.slice(0, depth);
      if (key && depth === path.length && depth > 0) {
        const parent = at.length === 1 ? this.doc.contents : this.doc.getIn(at.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(at.at(-1)));
          const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
          if (range) return this.lineOf(range[0]);
        }
        continue;
      }
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(at, true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return this.lineOf(range[0]);
    }
    return { line: 1, column: 1 };
  }

  lineOf(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

function describePath(path: YamlPath): string {
  if (path.length === 0) return '';
  const text = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return `${text}: `;
}

/** Ajv's pointer (`/requests/0/query`) as a path into the YAML document. */
function pointerPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function schemaProblem(error: ErrorObject, at: Locator): TemplateProblem {
  const path = pointerPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return at.problem([...path, String(params.additionalProperty)], 'unknown key (check its spelling; docs/templates.md lists every key)', { key: true });
    case 'required':
      return at.problem(path, `missing key "${String(params.missingProperty)}"`);
    case 'enum':
      return at.problem(path, `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'discriminator':
      return at.problem([...path, 'type'], 'must be one of "none", "bearer", "basic", "apiKey", "oauth2"');
    case 'const':
      return at.problem(path, `must be ${JSON.stringify(params.allowedValue)}`);
    default:
      return at.problem(path, error.message ?? 'is not valid');
  }
}

/**
 * Reads one template file: YAML (with its lines counted), the schema, then the rules a schema cannot
 * say (placeholders that exist where they are used, patterns that compile, paths without scripts).
 * Throws `TemplateError` naming every problem with its line and column.
 */
export function loadTemplateText(text: string, file: string): LoadedTemplate {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = new Locator(doc, lines, file);
  if (doc.errors.length > 0) {
    throw new TemplateError(doc.errors.map((error) => ({ file, ...at.lineOf(error.pos[0]), problem: firstLine(error.message) })));
  }
  const value: unknown = doc.toJS({ maxAliasCount: 50 });
  const schemaErrors = validate(value);
  if (schemaErrors.length > 0) throw new TemplateError(sortProblems(dedupe(schemaErrors.map((e) => schemaProblem(e, at)))));
  const problems: TemplateProblem[] = [];
  const loaded = compile(value as RawTemplate, file, at, problems);
  if (problems.length > 0) throw new TemplateError(sortProblems(problems));
  return loaded;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function dedupe(problems: TemplateProblem[]): TemplateProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortProblems(problems: TemplateProblem[]): TemplateProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column).slice(0, 20);
}

/** The file as the schema admits it (optional keys absent, one-or-many values as they were written). */
interface RawTemplate {
  id: string;
  name: string;
  prefix: string;
  badge: { letters: string; color: string };
  baseUrl: string;
  parameters?: Array<Partial<TemplateParameter> & { name: string }>;
  auth: TemplateAuth;
  requests: Array<{
    name: string;
    method: 'GET' | 'POST';
    path: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
    forEach?: { numberForm: NumberForm[] };
    empty?: { statuses?: number[] };
    when?: { param: string; equals: string };
    failure?: { path: string; message?: string; vendorCode?: string; auth?: string[]; code?: 'UNAVAILABLE' | 'BAD_REQUEST' };
    format?: AnswerFormat;
    response: Omit<ResponseMapping, 'name' | 'phones' | 'kind'> & { name: string | string[]; phones: string | string[]; kind: KindMapping };
  }>;
  limits?: Partial<TemplateLimits>;
  errors?: Partial<ErrorMapping>;
  tier?: 'primary' | 'fallback';
  cache?: boolean;
  countries?: string[];
  workflows?: Partial<Record<TemplateWorkflowName, RawWorkflow>>;
}

interface RawWrite {
  method: 'POST' | 'PATCH' | 'PUT';
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}

interface RawWorkflow {
  objectType: string;
  idPattern: string;
  url?: string;
  create: RawWrite & { id: string };
  update?: RawWrite;
  find?: { path: string; query?: Record<string, string>; headers?: Record<string, string>; empty?: { statuses?: number[] }; id: string };
}

function compile(raw: RawTemplate, file: string, at: Locator, problems: TemplateProblem[]): LoadedTemplate {
  const flag = (path: YamlPath, problem: string, options?: { key?: boolean }): void => void problems.push(at.problem(path, problem, options));
  if (RESERVED_PREFIXES.includes(raw.prefix)) flag(['prefix'], `"${raw.prefix}" is reserved: its keys would be read as the gateway's own tenant keys`);

  const parameters: TemplateParameter[] = [];
  const parameterPatterns = new Map<string, RegExp>();
  for (const [i, p] of (raw.parameters ?? []).entries()) {
    if ((RESERVED_PARAMETER_NAMES as readonly string[]).includes(p.name)) flag(['parameters', i, 'name'], `${raw.prefix}_${p.name} is a key every template has: choose another name`);
    if (parameters.some((q) => q.name === p.name)) flag(['parameters', i, 'name'], `parameter ${p.name} is declared twice`);
    let pattern: RegExp | undefined;
    if (p.pattern !== undefined) {
      try {
        pattern = new RegExp(`^(?:${p.pattern})$`);
        parameterPatterns.set(p.name, pattern);
      } catch (error) {
        flag(['parameters', i, 'pattern'], `not a regular expression (${(error as Error).message})`);
      }
    }
    if (p.default !== undefined && pattern && !pattern.test(p.default)) flag(['parameters', i, 'default'], 'does not match the parameter\'s pattern');
    if (p.required && p.default !== undefined) flag(['parameters', i, 'required'], 'a parameter with a default is never missing: drop required or the default');
    parameters.push({ name: p.name, required: p.required ?? false, secret: p.secret ?? false, default: p.default, pattern: p.pattern, description: p.description });
  }
  const paramNames = new Set(['BASE_URL', ...(raw.auth.type === 'oauth2' ? ['TOKEN_URL'] : []), ...parameters.map((p) => p.name)]);

  /** Splits a string of the file, checking its placeholders for where it is used. */
  const parts = (path: YamlPath, text: string, allowed: { number?: 'all' | 'named'; record?: boolean; write?: 'create' | 'update' | 'find' }): TemplatePart[] => {
    let split: TemplatePart[];
    try {
      split = parseTemplateString(text);
    } catch (error) {
      if (!(error instanceof PlaceholderSyntaxError)) throw error;
      flag(path, error.message);
      return [];
    }
    for (const placeholder of placeholdersOf(split)) {
      const written = `{{${placeholder.source}.${placeholder.name}}}`;
      if (placeholder.source === 'param' && !paramNames.has(placeholder.name)) {
        flag(path, `${written}: no parameter ${placeholder.name} is declared (declared: ${[...paramNames].join(', ')})`);
      } else if (placeholder.source === 'number' && allowed.number === undefined) {
        flag(path, `${written}: the caller's number cannot be used here`);
      } else if (placeholder.source === 'number' && placeholder.name === 'form' && allowed.number !== 'all') {
        flag(path, `${written}: only a request with forEach.numberForm has a current form`);
      } else if (placeholder.source === 'record' && !allowed.record) {
        flag(path, `${written}: a record's values are known in contactUrl, companyUrl and a workflow's url only`);
      } else if ((placeholder.source === 'call' || placeholder.source === 'contact' || placeholder.source === 'user') && allowed.write === undefined) {
        flag(path, `${written}: the call's values are known in a workflow's writes only`);
      } else if (placeholder.source === 'previous' && allowed.write !== 'update') {
        flag(path, `${written}: the earlier record is known in a workflow's update only`);
      }
    }
    return split;
  };

  const auth = compileAuth(raw.auth, parts, flag);
  const names = new Set<string>();
  const requests = raw.requests.map((r, i): CompiledRequest => {
    const here = ['requests', i] as const;
    if (names.has(r.name)) flag([...here, 'name'], `request ${r.name} is named twice`);
    names.add(r.name);
    const number = r.forEach ? 'all' : 'named';
    if (r.body !== undefined && r.method !== 'POST') flag([...here, 'body'], 'a body is sent with POST only');
    const query = Object.entries(r.query ?? {}).map(([name, text]) => {
      if (!QUERY_NAME.test(name)) flag([...here, 'query', name], 'a query parameter name of letters, digits and _ . $ [ ] - (no placeholders)', { key: true });
      return [name, parts([...here, 'query', name], text, { number })] as const;
    });
    const headers = Object.entries(r.headers ?? {}).map(([name, text]) => {
      if (!HEADER_NAME.test(name)) flag([...here, 'headers', name], 'a header name of letters, digits and - (no placeholders)', { key: true });
      else if (FORBIDDEN_HEADERS.includes(name.toLowerCase())) flag([...here, 'headers', name], 'the gateway sets this header itself', { key: true });
      return [name, parts([...here, 'headers', name], text, { number })] as const;
    });
    const response = compileResponse(r.response, [...here, 'response'], flag);
    let idPattern = /^$/;
    if (!r.response.idPattern.startsWith('^') || !r.response.idPattern.endsWith('$')) {
      flag([...here, 'response', 'idPattern'], 'must match whole ids: start it with ^ and end it with $');
    }
    try {
      // Anchored whole, whatever the alternatives inside (`^a|b$` would match parts of ids).
      idPattern = new RegExp(`^(?:${r.response.idPattern})$`);
    } catch (error) {
      flag([...here, 'response', 'idPattern'], `not a regular expression (${(error as Error).message})`);
    }
    const link = (which: 'contactUrl' | 'companyUrl'): readonly TemplatePart[] | undefined => {
      const text = r.response[which];
      return text === undefined ? undefined : parts([...here, 'response', which], text, { record: true });
    };
    const request: TemplateRequest = {
      name: r.name,
      method: r.method,
      path: r.path,
      query: r.query ?? {},
      headers: r.headers ?? {},
      ...(r.body === undefined ? {} : { body: r.body }),
      ...(r.forEach ? { forEach: r.forEach } : {}),
      emptyStatuses: r.empty?.statuses ?? [],
      ...(r.when ? { when: r.when } : {}),
      ...(r.failure ? { failure: { ...r.failure, auth: r.failure.auth ?? [], code: r.failure.code ?? 'UNAVAILABLE' } } : {}),
      format: r.format ?? 'json',
      response,
    };
    if (r.when && !paramNames.has(r.when.param)) flag([...here, 'when', 'param'], `no parameter ${r.when.param} is declared (declared: ${[...paramNames].join(', ')})`);
    for (const key of ['path', 'message', 'vendorCode'] as const) {
      const path = r.failure?.[key];
      if (path !== undefined && UNSAFE_PATH_CHARACTERS.test(path)) flag([...here, 'failure', key], 'a plain JSONPath without ( ) ? @ or ` (no scripts or filters)');
    }
    const contactUrl = link('contactUrl');
    const companyUrl = link('companyUrl');
    return {
      request,
      path: parts([...here, 'path'], r.path, { number }),
      query,
      headers,
      ...(r.body === undefined ? {} : { body: compileBody(r.body, [...here, 'body'], (path, text) => parts(path, text, { number })) }),
      idPattern,
      links: { ...(contactUrl ? { contactUrl } : {}), ...(companyUrl ? { companyUrl } : {}) },
    };
  });

  const objectTypes = new Set(raw.requests.map((r) => r.response.objectType));
  const workflows = Object.entries(raw.workflows ?? {}).map(([name, w]) => compileWorkflow(name as TemplateWorkflowName, w, parts, flag, objectTypes));

  const errors: ErrorMapping = {
    message: raw.errors?.message,
    vendorCode: raw.errors?.vendorCode,
    retryAfterHeaders: raw.errors?.retryAfterHeaders ?? ['retry-after'],
    ...(raw.errors?.retryAfterDefaultS === undefined ? {} : { retryAfterDefaultS: raw.errors.retryAfterDefaultS }),
  };
  for (const key of ['message', 'vendorCode'] as const) {
    const path = errors[key];
    if (path !== undefined && UNSAFE_PATH_CHARACTERS.test(path)) flag(['errors', key], 'a plain JSONPath without ( ) ? @ or ` (no scripts or filters)');
  }
  const template: Template = {
    file,
    id: raw.id,
    name: raw.name,
    prefix: raw.prefix,
    badge: raw.badge,
    baseUrl: raw.baseUrl.replace(/\/+$/, ''),
    parameters,
    auth: raw.auth,
    requests: requests.map((r) => r.request),
    limits: {
      timeoutMs: raw.limits?.timeoutMs,
      concurrency: raw.limits?.concurrency ?? DEFAULT_CONCURRENCY,
      requestsPerSecond: raw.limits?.requestsPerSecond ?? 0,
      ...(raw.limits?.quota ? { quota: raw.limits.quota } : {}),
    },
    errors,
    tier: raw.tier ?? 'primary',
    cache: raw.cache ?? true,
    ...(raw.countries ? { countries: raw.countries } : {}),
    workflows: workflows.map((w) => w.workflow),
  };
  return { template, requests, workflows, auth, parameterPatterns };
}

type PartsOf = (path: YamlPath, text: string, allowed: { number?: 'named'; record?: boolean; write?: 'create' | 'update' | 'find' }) => TemplatePart[];

/** A workflow's writes: the call's values in each, the earlier record in the update only, the record's id in the url only. */
function compileWorkflow(
  name: TemplateWorkflowName,
  raw: RawWorkflow,
  parts: PartsOf,
  flag: (path: YamlPath, problem: string, options?: { key?: boolean }) => void,
  objectTypes: ReadonlySet<string>,
): CompiledWorkflow {
  const here = ['workflows', name] as const;
  // `{{contact.<type>Id}}` names a type the lookups hand out; else it would never have a value.
  const checked: PartsOf = (path, text, allowed) => {
    const split = parts(path, text, allowed);
    for (const p of placeholdersOf(split)) {
      const type = p.source === 'contact' ? CONTACT_ID_OF_TYPE.exec(p.name)?.[1] : undefined;
      if (type !== undefined && !objectTypes.has(type)) flag(path, `{{contact.${p.name}}}: no request of this template hands out records of type ${type} (types: ${[...objectTypes].join(', ')})`);
    }
    return split;
  };
  const usesKey = (w: CompiledWrite): boolean => {
    const all = [...w.path, ...w.query.flatMap(([, p]) => p), ...w.headers.flatMap(([, p]) => p), ...(w.body ? bodyParts(w.body) : [])];
    return placeholdersOf(all).some((p) => p.source === 'call' && p.name === 'key');
  };
  let idPattern = /^$/;
  if (!raw.idPattern.startsWith('^') || !raw.idPattern.endsWith('$')) flag([...here, 'idPattern'], 'must match whole ids: start it with ^ and end it with $');
  try {
    idPattern = new RegExp(`^(?:${raw.idPattern})$`);
  } catch (error) {
    flag([...here, 'idPattern'], `not a regular expression (${(error as Error).message})`);
  }
  for (const [key, path] of [['create', raw.create.id], ['find', raw.find?.id]] as const) {
    if (path !== undefined && UNSAFE_PATH_CHARACTERS.test(path)) flag([...here, key, 'id'], 'a plain JSONPath without ( ) ? @ or ` (no scripts or filters)');
  }
  const write = (kind: 'create' | 'update' | 'find', w: RawWrite | NonNullable<RawWorkflow['find']>): CompiledWrite => {
    const at = [...here, kind] as const;
    const method = 'method' in w ? w.method : 'GET';
    const body = 'body' in w ? w.body : undefined;
    const entries = (key: 'query' | 'headers', map: Record<string, string> | undefined) =>
      Object.entries(map ?? {}).map(([entry, text]) => {
        if (key === 'query' && !QUERY_NAME.test(entry)) flag([...at, key, entry], 'a query parameter name of letters, digits and _ . $ [ ] - (no placeholders)', { key: true });
        if (key === 'headers' && !HEADER_NAME.test(entry)) flag([...at, key, entry], 'a header name of letters, digits and - (no placeholders)', { key: true });
        else if (key === 'headers' && FORBIDDEN_HEADERS.includes(entry.toLowerCase())) flag([...at, key, entry], 'the gateway sets this header itself', { key: true });
        return [entry, checked([...at, key, entry], text, { number: 'named', write: kind })] as const;
      });
    return {
      method,
      path: checked([...at, 'path'], w.path, { number: 'named', write: kind }),
      query: entries('query', w.query),
      headers: entries('headers', w.headers),
      ...(body === undefined ? {} : { body: compileBody(body, [...at, 'body'], (path, text) => checked(path, text, { number: 'named', write: kind })) }),
    };
  };
  const plain = (w: RawWrite): TemplateWrite => ({ method: w.method, path: w.path, query: w.query ?? {}, headers: w.headers ?? {}, ...(w.body === undefined ? {} : { body: w.body }) });
  const workflow: TemplateWorkflow = {
    name,
    objectType: raw.objectType,
    idPattern: raw.idPattern,
    create: { ...plain(raw.create), id: raw.create.id },
    ...(raw.update ? { update: plain(raw.update) } : {}),
    ...(raw.find ? { find: { path: raw.find.path, query: raw.find.query ?? {}, headers: raw.find.headers ?? {}, emptyStatuses: raw.find.empty?.statuses ?? [], id: raw.find.id } } : {}),
    ...(raw.url === undefined ? {} : { url: raw.url }),
  };
  const create = write('create', raw.create);
  const find = raw.find ? write('find', raw.find) : undefined;
  if (find && !usesKey(create)) flag([...here, 'create'], 'a workflow with find must send {{call.key}} with its create: find looks the record up by it');
  if (find && !usesKey(find)) flag([...here, 'find'], 'find must look the record up by {{call.key}}');
  return {
    workflow,
    idPattern,
    create,
    ...(raw.update ? { update: write('update', raw.update) } : {}),
    ...(find ? { find } : {}),
    ...(raw.url === undefined ? {} : { url: parts([...here, 'url'], raw.url, { record: true }) }),
  };
}

function bodyParts(body: CompiledBody): TemplatePart[] {
  if ('text' in body) return [...body.text];
  if ('list' in body) return body.list.flatMap(bodyParts);
  if ('map' in body) return body.map.flatMap(([, item]) => bodyParts(item));
  return [];
}

function compileAuth(
  auth: TemplateAuth,
  parts: (path: YamlPath, text: string, allowed: object) => TemplatePart[],
  flag: (path: YamlPath, problem: string) => void,
): CompiledAuth {
  const fields: Record<string, TemplatePart[]> = {};
  const field = (name: string, text: string | undefined): void => {
    if (text !== undefined) fields[name] = parts(['auth', name], text, {});
  };
  switch (auth.type) {
    case 'none':
      break;
    case 'bearer':
      field('token', auth.token);
      break;
    case 'basic':
      field('username', auth.username);
      field('password', auth.password);
      break;
    case 'apiKey':
      field('value', auth.value);
      break;
    case 'oauth2':
      if (auth.grant === 'refresh_token' && auth.refreshToken === undefined) flag(['auth', 'grant'], 'the refresh_token grant needs auth.refreshToken');
      field('clientId', auth.clientId);
      field('clientSecret', auth.clientSecret);
      field('refreshToken', auth.refreshToken);
      field('scope', auth.scope);
      // The default token address may hold parameters (Entra ID's tenant id); a tenant's <PREFIX>_TOKEN_URL replaces it whole.
      field('tokenUrl', auth.tokenUrl);
      if (/\{\{\s*param\.TOKEN_URL\b/.test(auth.tokenUrl)) flag(['auth', 'tokenUrl'], 'the default token address cannot hold {{param.TOKEN_URL}}, which it is the default of');
      break;
  }
  return { auth, fields };
}

function compileResponse(raw: RawTemplate['requests'][number]['response'], here: YamlPath, flag: (path: YamlPath, problem: string) => void): ResponseMapping {
  const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
  const mapping: ResponseMapping = {
    records: raw.records,
    objectType: raw.objectType,
    idPattern: raw.idPattern,
    id: raw.id,
    kind: raw.kind,
    name: list(raw.name),
    phones: list(raw.phones),
    customData: raw.customData ?? {},
    ...(raw.company === undefined ? {} : { company: raw.company }),
    ...(raw.contactUrl === undefined ? {} : { contactUrl: raw.contactUrl }),
    ...(raw.companyUrl === undefined ? {} : { companyUrl: raw.companyUrl }),
    ...(raw.modified === undefined ? {} : { modified: raw.modified }),
    ...(raw.link === undefined ? {} : { link: raw.link }),
  };
  const paths: Array<[YamlPath, string]> = [
    [[...here, 'records'], mapping.records],
    [[...here, 'id'], mapping.id],
    ...mapping.name.map((p, i): [YamlPath, string] => [[...here, 'name', ...(Array.isArray(raw.name) ? [i] : [])], p]),
    ...mapping.phones.map((p, i): [YamlPath, string] => [[...here, 'phones', ...(Array.isArray(raw.phones) ? [i] : [])], p]),
    ...Object.entries(mapping.customData).flatMap(([label, p]): Array<[YamlPath, string]> => (typeof p === 'string' ? [[[...here, 'customData', label], p]] : [])),
    ...(['company', 'modified', 'link'] as const).flatMap((key): Array<[YamlPath, string]> => (mapping[key] === undefined ? [] : [[[...here, key], mapping[key]]])),
    ...(typeof mapping.kind === 'object' ? [[[...here, 'kind', 'path'], mapping.kind.path] as [YamlPath, string]] : []),
  ];
  for (const [path, text] of paths) {
    if (UNSAFE_PATH_CHARACTERS.test(text)) flag(path, 'a plain JSONPath without ( ) ? @ or ` (no scripts or filters)');
  }
  return mapping;
}

function compileBody(value: unknown, path: YamlPath, parts: (path: YamlPath, text: string) => TemplatePart[]): CompiledBody {
  if (typeof value === 'string') return { text: parts(path, value) };
  if (Array.isArray(value)) return { list: value.map((item, i) => compileBody(item, [...path, i], parts)) };
  if (typeof value === 'object' && value !== null) {
    return { map: Object.entries(value).map(([key, item]) => [key, compileBody(item, [...path, key], parts)] as const) };
  }
  return { value };
}

/** The template files of a folder (`*.yaml`, `*.yml`, not hidden), sorted; none when an optional folder is missing. */
function templateFiles(dir: string, mustExist: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => TEMPLATE_FILE.test(name)).sort();
  } catch (error) {
    if (isMissing(error) && !mustExist) return [];
    throw new TemplateError([{ file: dir, line: 1, column: 1, problem: `the templates folder cannot be read (${(error as Error).message})` }]);
  }
  return names.map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

/** A path as messages name it: relative to the working folder when it is inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

/**
 * Every template: the shipped ones, then those of `templatesDir` (an admin's own). Two templates with
 * one id or one prefix stop the start, naming both files.
 */
export function loadTemplates(templatesDir: string | undefined, shippedDir: string = SHIPPED_TEMPLATES_DIR): LoadedTemplate[] {
  const files = [...templateFiles(shippedDir, false), ...(templatesDir === undefined ? [] : templateFiles(resolve(templatesDir), true))];
  const loaded: LoadedTemplate[] = [];
  for (const path of files) {
    const file = shown(path);
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new TemplateError([{ file, line: 1, column: 1, problem: `larger than ${MAX_FILE_BYTES} bytes: not a template` }]);
    const template = loadTemplateText(bytes.toString('utf8'), file);
    const clash = loaded.find((t) => t.template.id === template.template.id || t.template.prefix === template.template.prefix);
    if (clash) {
      const what = clash.template.id === template.template.id ? `id "${template.template.id}"` : `prefix "${template.template.prefix}"`;
      throw new TemplateError([{ file, line: 1, column: 1, problem: `the ${what} is already taken by ${clash.template.file}: every template needs its own id and prefix` }]);
    }
    loaded.push(template);
  }
  return loaded;
}

/** A template may not take the id or the key prefix of a built-in source: its keys and record ids would be the built-in's. */
export function checkTemplatesBeside(builtIn: ReadonlyArray<{ readonly id: string; readonly keyPrefix: string }>, templates: ReadonlyArray<{ readonly template: Template }>): void {
  const problems = templates.flatMap(({ template }) => {
    const clash = builtIn.find((s) => s.id === template.id || s.keyPrefix === template.prefix);
    if (!clash) return [];
    const what = clash.id === template.id ? `id "${template.id}"` : `prefix "${template.prefix}"`;
    return [{ file: template.file, line: 1, column: 1, problem: `the ${what} is the built-in source ${clash.id}'s: choose another` }];
  });
  if (problems.length > 0) throw new TemplateError(problems);
}
