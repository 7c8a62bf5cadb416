import { SourceError } from '../../core/source-error';
import { select } from './response-mapping';
import type { TemplateRequest } from './template-format';

/**
 * Whether a request is sent for this tenant: always, or (`when: { param: API, equals: jsonrpc }`) only when
 * the tenant's parameter holds that value (Odoo's JSON-2 or JSON-RPC, chosen by `ODOO_API`).
 */
export function isRequestOn(request: TemplateRequest, param: (name: string) => string | undefined): boolean {
  return request.when === undefined || param(request.when.param) === request.when.equals;
}

function textAt(path: string | undefined, answer: unknown): string | undefined {
  if (path === undefined) return undefined;
  const found = select(path, answer)[0];
  return typeof found === 'string' || typeof found === 'number' ? String(found).slice(0, 300) : undefined;
}

/**
 * A 2xx answer that is a failure (`failure.path` selects something, as JSON-RPC's `error` object, answered
 * with HTTP 200): the failure as a `SourceError`, AUTH when the CRM's code is one of `failure.auth`, else
 * `failure.code` (default UNAVAILABLE); undefined for a real answer.
 */
export function answerFailure(request: TemplateRequest, crmName: string, answer: unknown): SourceError | undefined {
  const { failure } = request;
  if (failure === undefined || typeof answer !== 'object' || answer === null) return undefined;
  const found = select(failure.path, answer).filter((v) => v !== null && v !== false && v !== undefined);
  if (found.length === 0) return undefined;
  const vendorCode = textAt(failure.vendorCode, answer);
  const said = textAt(failure.message, answer);
  const code = vendorCode !== undefined && failure.auth.includes(vendorCode) ? 'AUTH' : failure.code;
  return new SourceError(code, `${crmName} answered with an error${said ? `: ${said}` : ''}`, vendorCode === undefined ? {} : { vendorCode });
}
