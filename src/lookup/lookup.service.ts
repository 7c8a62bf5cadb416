import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { performance } from 'node:perf_hooks';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import type { Tenant } from '../config/tenant';
import { maskPhoneNumber } from '../logging/mask';
import { MatchStrength, normalizeIncoming, scoreStoredPhones, type IncomingNumber } from '../phone';
import { presentCard, type Card } from './card.presenter';
import { fanOut, type SourceOutcome } from './fan-out';
import { WorkflowRegistry } from '../workflows/workflow-registry';
import { rankCandidates, type VerifiedCandidate } from './rank';

/** Who is calling: asks the tenant's sources at once, verifies what they return, ranks, answers. */
@Injectable()
export class LookupService {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly workflows: WorkflowRegistry,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(LookupService.name);
  }

  async lookup(tenant: Tenant, rawNumber: string): Promise<Card[]> {
    const started = performance.now();
    const number = normalizeIncoming(rawNumber, tenant.defaultRegion);
    if (!number) {
      this.logger.info({ tenant: tenant.id, results: 0 }, 'Lookup skipped: withheld or unreadable number');
      return [];
    }

    const outcomes = await fanOut(
      tenant.sources.map(({ source, settings }) => ({
        sourceId: source.id,
        run: (signal: AbortSignal, deadlineAt: number) =>
          source.search({ tenantId: tenant.id, number, region: tenant.defaultRegion, settings, signal, deadlineAt }),
      })),
      this.settings.LOOKUP_TIMEOUT_MS,
    );
    this.logFailures(tenant, outcomes);

    const ranked = rankCandidates(verify(outcomes, number, tenant), {
      sourceOrder: tenant.sourceOrder,
      maxResults: this.settings.LOOKUP_MAX_RESULTS,
    });
    this.logger.info(
      {
        tenant: tenant.id,
        number: maskPhoneNumber(number.kind === 'phone' ? number.e164 : number.extension),
        results: ranked.length,
        elapsedMs: Math.round(performance.now() - started),
        sources: Object.fromEntries(outcomes.map((o) => [o.sourceId, o.status])),
      },
      'Lookup answered',
    );
    return ranked.map(({ candidate }) =>
      presentCard(candidate, tenant, this.settings.publicUrl, this.workflows.namesOf(candidate.sourceId)),
    );
  }

  private logFailures(tenant: Tenant, outcomes: readonly SourceOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.status === 'timeout') {
        this.logger.warn(
          { tenant: tenant.id, source: outcome.sourceId, code: 'TIMEOUT', elapsedMs: outcome.elapsedMs },
          `Source ${outcome.sourceId} did not answer within the lookup deadline; answered without it`,
        );
      } else if (outcome.status === 'error') {
        this.logger.warn(
          {
            tenant: tenant.id,
            source: outcome.sourceId,
            code: outcome.code,
            vendorCode: outcome.vendorCode,
            reason: outcome.reason,
            elapsedMs: outcome.elapsedMs,
          },
          `Source ${outcome.sourceId} failed (${outcome.code}); answered without it`,
        );
      }
    }
  }
}

/** Keeps only candidates whose own stored phones prove the match, whatever the source claimed. */
function verify(outcomes: readonly SourceOutcome[], number: IncomingNumber, tenant: Tenant): VerifiedCandidate[] {
  const verified: VerifiedCandidate[] = [];
  for (const outcome of outcomes) {
    if (outcome.status !== 'ok') continue;
    for (const candidate of outcome.candidates) {
      const strength = scoreStoredPhones(candidate.phones, number, tenant.defaultRegion);
      if (strength !== MatchStrength.None) verified.push({ candidate, strength });
    }
  }
  return verified;
}
