import bodyParser from 'body-parser';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { refuse } from './refusal';

/** Deeper than any request body the CONNECTOR sends (`{"inputs":{...}}` is two levels). */
export const MAX_JSON_DEPTH = 8;
/** Keys and array items in one body, counted together; a workflow body has about fifteen. */
export const MAX_JSON_VALUES = 500;

/**
 * Whether a request sends a body: chunked, or a length above 0. (`type-is`'s `hasBody` also counts
 * `Content-Length: 0`, which some health checkers and HTTP libraries send with a GET.)
 */
export function carriesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

export interface JsonBodyLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxValues: number;
}

/**
 * What is wrong with a parsed body's shape, or undefined. Walks it with a stack of its own: a body
 * nested 30,000 deep must be refused here, not overflow the call stack of what reads it next.
 */
export function jsonShapeProblem(value: unknown, limits: Pick<JsonBodyLimits, 'maxDepth' | 'maxValues'>): string | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  let values = 0;
  while (pending.length > 0) {
    const { value: node, depth } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limits.maxDepth) return `the body nests deeper than ${limits.maxDepth} levels`;
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    values += children.length;
    if (values > limits.maxValues) return `the body holds more than ${limits.maxValues} keys and array items`;
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

/**
 * `{"inputs": {...}}` with only the `inputs` keys the route knows, copied into a fresh object: unknown
 * keys (the payload will grow, says peoplefone) are dropped before anything transforms or validates them.
 * Any other body is returned as it is, for validation to name what is wrong with it.
 */
export function keepKnownInputs(body: unknown, knownKeys: readonly string[]): unknown {
  if (!isPlainObject(body) || !isPlainObject(body.inputs)) return body;
  const inputs: Record<string, unknown> = {};
  for (const key of knownKeys) if (Object.hasOwn(body.inputs, key)) inputs[key] = body.inputs[key];
  return { inputs };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface JsonBodyReaderOptions extends Pick<JsonBodyLimits, 'maxBytes'> {
  /** The setting that sets `maxBytes`, named in the refusal so the admin knows what to raise. */
  readonly limitSetting: string;
  /** Read any body as JSON (workflows: `curl -d` sends form encoding); else only JSON media types. */
  readonly anyContentType: boolean;
  /** The `inputs` keys the route reads; the others are dropped. */
  readonly knownInputs: readonly string[];
}


/**
 * Reads a route's JSON body within its limits: bytes (before reading further), `MAX_JSON_DEPTH` and
 * `MAX_JSON_VALUES` (before validation), known `inputs` only. Every refusal is a 4xx naming the problem, written
 * here, so no parser error ever reaches the framework's error handler (which logged a stack trace).
 */
export function jsonBodyReader(options: JsonBodyReaderOptions): (req: Request, res: Response, next: NextFunction) => void {
  const limits = { maxDepth: MAX_JSON_DEPTH, maxValues: MAX_JSON_VALUES };
  const parse = bodyParser.json({ limit: options.maxBytes, strict: true, type: options.anyContentType ? () => true : ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    if (!carriesBody(req)) return next(); // every GET lookup: nothing to read
    parse(req, res, (error?: unknown) => {
      if (error !== undefined && error !== null) {
        // body-parser's errors carry their status: 413 too large, 415 charset or encoding, 400 otherwise.
        const given = (error as { status?: unknown }).status;
        const status = typeof given === 'number' && given >= 400 && given < 500 ? given : 400;
        const type = (error as { type?: unknown }).type;
        const message =
          status === 413
            ? `The body is larger than the ${options.maxBytes} bytes this route accepts (${options.limitSetting}).`
            : status === 415
              ? `The body's encoding is not supported: send UTF-8 JSON.`
              : type === 'entity.parse.failed'
                ? `The body is not valid JSON: ${error instanceof Error ? error.message : 'unreadable'}`
                : `The body could not be read: ${error instanceof Error ? error.message : 'unreadable'}`;
        refuse(req, res, status, message);
        return;
      }
      const problem = jsonShapeProblem(req.body, limits);
      if (problem !== undefined) {
        refuse(req, res, 400, `The body is refused: ${problem}.`);
        return;
      }
      req.body = keepKnownInputs(req.body, options.knownInputs);
      next();
    });
  };
}
