import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import type { SettingProblem } from '../../config/settings-validation';
import type { RecordIdPattern, RecordIdPatterns } from '../../core/record-id';
import type { Candidate, QuotaLimits, SourceBadge, SourceSearch, SourceTier, TenantAttachment } from '../../core/source';
import { SourceError } from '../../core/source-error';
import type { IncomingNumber, PhoneIncomingNumber } from '../../phone';
import type { RedisConnection } from '../../shared-state/redis-connection';
import { AttachedTenants, type SourceWithTenants } from '../attached-tenants';
import { distinctForms, numberForm } from './number-forms';
import { render, type Placeholder, type PlaceholderValues } from './placeholders';
import { answerFailure, isRequestOn } from './request-conditions';
import { mapAnswer, type MappedAnswer } from './response-mapping';
import { prepareRequest, TemplateClient, type PreparedRequest } from './template-client';
import type { Template } from './template-format';
import type { CompiledRequest, LoadedTemplate } from './template-loader';
import { isTemplateEnabled, templateSettingProblems, templateSettingsSchema, type TemplateSettings } from './template-settings';

/** Each request stops this long before the deadline handed to the source, so what the others found is answered in time. */
const ANSWER_MARGIN_MS = 100;
const WARM_UP_TIMEOUT_MS = 10_000;

export interface TemplateTenant {
  readonly client: TemplateClient;
}

interface Job {
  readonly compiled: CompiledRequest;
  readonly prepared: PreparedRequest;
  /** `persons`, or `persons (national)` for one form of a forEach. */
  readonly label: string;
}

/**
 * A source declared by a template file (docs/templates.md): one instance per template, plugged in
 * beside the built-in sources. Its tenant keys are the template's `<PREFIX>_…` keys; a tenant turns it
 * on with `TEMPLATES=<id>`. A search renders every request first (a value that cannot go where it is
 * placed stops the search before anything is sent), sends them at once within the template's limits,
 * and returns every record found with its phones as raw candidates: the core verifies each against the
 * caller's number like any source's.
 */
export class TemplateSource implements SourceWithTenants<TemplateSettings, TemplateTenant> {
  readonly id: string;
  readonly keyPrefix: string;
  readonly defaultDisplayName: string;
  readonly badge: SourceBadge;
  readonly recordIds: RecordIdPatterns;
  readonly settingsSchema: new () => TemplateSettings;
  readonly tenants: AttachedTenants<TemplateSettings, TemplateTenant>;
  readonly template: Template;
  readonly tier: SourceTier;
  readonly cacheable: boolean;
  readonly quota: QuotaLimits | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly loaded: LoadedTemplate,
    private readonly http: HttpService,
    private readonly redis?: RedisConnection,
  ) {
    const { template } = loaded;
    this.template = template;
    this.id = template.id;
    this.keyPrefix = template.prefix;
    this.defaultDisplayName = template.name;
    this.badge = template.badge;
    this.recordIds = recordIdPatterns(loaded);
    this.settingsSchema = templateSettingsSchema(template);
    this.tenants = new AttachedTenants(template.name);
    this.tier = template.tier;
    this.cacheable = template.cache;
    this.quota = template.limits.quota;
    this.logger = new Logger(`Template ${template.id}`);
  }

  /** A template that names its countries (search.ch: CH) is asked only for their numbers. */
  covers(number: IncomingNumber): boolean {
    const { countries } = this.template;
    return countries === undefined || (number.kind === 'phone' && number.country !== undefined && countries.includes(number.country));
  }

  /** The template as loaded (its compiled requests and workflows). */
  get loadedTemplate(): LoadedTemplate {
    return this.loaded;
  }

  /** The client of the tenant these settings are (its credentials, budget and tokens), for the workflows' writes. */
  clientOf(settings: TemplateSettings): TemplateClient {
    return this.tenants.of(settings).client;
  }

  isEnabled(settings: TemplateSettings): boolean {
    return isTemplateEnabled(this.template, settings);
  }

  settingProblems(settings: TemplateSettings): SettingProblem[] {
    return templateSettingProblems(this.template, settings);
  }

  attachTenant({ settings }: TenantAttachment<TemplateSettings>): Promise<void> {
    this.tenants.set(settings, { client: new TemplateClient(this.http, this.loaded, settings, this.redis) });
    return Promise.resolve();
  }

  async warmUp(settings: TemplateSettings): Promise<void> {
    await this.tenants.of(settings).client.warmUp(Date.now() + WARM_UP_TIMEOUT_MS);
  }

  /**
   * Every request (one per form of a `forEach`) at once. One that fails leaves the others' records
   * answered (the core is told the answer is partial, so it is not cached as complete); when all fail,
   * the source fails with the first failure.
   */
  async search({ tenantId, settings, number, deadlineAt, partial, trace }: SourceSearch<TemplateSettings>): Promise<readonly Candidate[]> {
    if (number.kind !== 'phone') return [];
    const { client } = this.tenants.of(settings);
    const { timeoutMs } = this.template.limits;
    const answerBy = Math.min(deadlineAt - ANSWER_MARGIN_MS, timeoutMs === undefined ? Infinity : Date.now() + timeoutMs);
    // Rendered before any is sent: a value refused for its place stops the whole search, nothing sent.
    const jobs = this.jobs(number, client);
    for (const job of jobs) trace?.({ kind: 'query', text: job.prepared.text });
    const settled = await Promise.allSettled(
      jobs.map(async (job) => {
        const answer = await client.fetch(job.compiled, job.prepared, answerBy);
        const failure = answerFailure(job.compiled.request, this.template.name, answer);
        if (failure) throw failure;
        return this.mapped(job, client, answer);
      }),
    );
    const failures = settled.flatMap((result, i) => (result.status === 'rejected' ? [{ job: jobs[i]!, error: result.reason as unknown }] : []));
    if (failures.length === settled.length && failures.length > 0) throw failures[0]!.error;
    for (const { job, error } of failures) {
      const why = this.warn(tenantId, job.label, error, `${job.label} not searched; answered with the other requests' records`);
      partial?.(why);
    }
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    for (const [i, result] of settled.entries()) {
      if (result.status !== 'fulfilled') continue;
      for (const note of result.value.notes) trace?.({ kind: 'note', text: `${jobs[i]!.label}: ${note}` });
      for (const candidate of result.value.candidates) {
        const key = `${candidate.objectType}:${candidate.recordId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push(candidate);
      }
    }
    return candidates;
  }

  private jobs(number: PhoneIncomingNumber, client: TemplateClient): Job[] {
    return this.loaded.requests.flatMap((compiled) => {
      if (!isRequestOn(compiled.request, (name) => client.paramValue(name))) return [];
      const forms = compiled.request.forEach ? distinctForms(number, compiled.request.forEach.numberForm) : [undefined];
      return forms.map((form) => {
        const values: PlaceholderValues = (p: Placeholder) => {
          if (p.source === 'param') return client.paramValue(p.name);
          if (p.source === 'number') return p.name === 'form' ? form?.value : numberForm(number, p.name);
          return undefined;
        };
        const label = form ? `${compiled.request.name} (${form.form})` : compiled.request.name;
        return { compiled, prepared: prepareRequest(compiled, values), label };
      });
    });
  }

  private mapped(job: Job, client: TemplateClient, answer: unknown): MappedAnswer {
    const { compiled } = job;
    return mapAnswer(answer, compiled.request.response, compiled.idPattern, {
      sourceId: this.id,
      link: (which, recordId) => {
        const parts = compiled.links[which];
        if (!parts) return undefined;
        try {
          return render(parts, 'link', (p) => (p.source === 'record' ? recordId : p.source === 'param' ? client.paramValue(p.name) : undefined));
        } catch {
          return undefined; // a value a link cannot carry: the card comes without it
        }
      },
    });
  }

  /** A request that failed: logged once, with the tenant and the CRM's reason, never the number. */
  private warn(tenantId: string, request: string, error: unknown, consequence: string): string {
    const { code, vendorCode, reason } =
      error instanceof SourceError ? { code: error.code, vendorCode: error.vendorCode, reason: error.message } : { code: 'INTERNAL', vendorCode: undefined, reason: String(error) };
    this.logger.warn({ tenant: tenantId, source: this.id, request, code, vendorCode, reason }, `${this.template.name} of tenant ${tenantId}: ${consequence} (${code})`);
    return `${consequence} (${code}: ${reason})`;
  }
}

/** The object types the template's requests and workflows hand out, each with its ids' form (any one's, when two share a type). */
function recordIdPatterns({ requests, workflows }: LoadedTemplate): RecordIdPatterns {
  const byType = new Map<string, RegExp[]>();
  const add = (type: string, pattern: RegExp): void => void byType.set(type, [...(byType.get(type) ?? []), pattern]);
  for (const { request, idPattern } of requests) add(request.response.objectType, idPattern);
  for (const { workflow, idPattern } of workflows) add(workflow.objectType, idPattern);
  return Object.fromEntries([...byType].map(([type, patterns]): [string, RecordIdPattern] => [type, { test: (id: string) => patterns.some((p) => p.test(id)) }]));
}
