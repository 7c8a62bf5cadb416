import { Controller, Get, Header, Post, Query, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { LookupExplainer } from '../lookup/lookup-explainer';
import { LookupHistory } from '../lookup/lookup-history';
import type { LookupExplanation } from '../lookup/lookup-insight';
import { TenantRegistry } from '../tenants/tenant-registry';
import { AdminOutbox } from './admin-outbox.service';
import { ConsoleErrorPage } from './console-error.filter';
import type { ConsoleRequest } from './console-gate.middleware';
import { explainPage, overviewPage, recentPage, type ExplainForm, type OverviewData } from './console-pages';
import { frameOf } from './console.controller';

const HTML = 'text/html; charset=utf-8';
/** Rows of the overview on one page (each with three charts); with more tenant sources, pick a tenant. */
const OVERVIEW_ROWS = 300;
/** The recent lookups one page lists. */
const RECENT_SHOWN = 300;
/** What the explain form's number may be: anything a person types for a number, within reason. */
const MAX_NUMBER_LENGTH = 64;

/**
 * The console's pages about lookups: the overview per tenant and source, one lookup explained, the recent
 * ones. HTML, not API; the gate (console-gate.middleware.ts) checks the session and the CSRF token first.
 */
@ApiExcludeController()
@Public()
@UseFilters(ConsoleErrorPage)
@Controller('admin')
export class ConsoleLookupsController {
  constructor(
    private readonly history: LookupHistory,
    private readonly explainer: LookupExplainer,
    private readonly tenants: TenantRegistry,
    private readonly outbox: AdminOutbox,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  async overview(@Req() req: ConsoleRequest, @Query('tenant') tenant?: string): Promise<string> {
    let outbox: OverviewData['outbox'];
    try {
      outbox = await this.outbox.counts();
    } catch (error) {
      outbox = { problem: error instanceof Error ? error.message : String(error) };
    }
    const selected = tenant !== undefined && tenant !== '' ? tenant : undefined;
    const rows = this.history.overview(selected);
    const tenantIds = this.tenantIds();
    return overviewPage(frameOf(req), { sources: rows.slice(0, OVERVIEW_ROWS), totalRows: rows.length, tenant: selected, tenantIds, outbox, tenants: tenantIds.length }).text;
  }

  @Get('explain')
  @Header('Content-Type', HTML)
  explainForm(@Req() req: ConsoleRequest): string {
    return explainPage(frameOf(req), this.tenantIds(), {}).text;
  }

  @Post('explain')
  @Header('Content-Type', HTML)
  async explain(@Req() req: ConsoleRequest): Promise<string> {
    const tenant = typeof req.body?.tenant === 'string' ? req.body.tenant : '';
    const number = typeof req.body?.number === 'string' ? req.body.number.trim() : '';
    const form: ExplainForm = { tenant, bypassCache: req.body?.bypassCache === '1' };
    const frame = frameOf(req);
    let result: LookupExplanation | { problem: string };
    if (!this.tenantIds().includes(tenant)) result = { problem: `Pick a tenant: ${tenant === '' ? 'none was chosen' : `there is no tenant ${tenant}`}.` };
    else if (number === '' || number.length > MAX_NUMBER_LENGTH) result = { problem: `Enter a number of 1 to ${MAX_NUMBER_LENGTH} characters, in any form (+41 44 …, 044 …, 0041 44 …).` };
    else {
      try {
        result = await this.explainer.explain(tenant, number, { bypassCache: form.bypassCache === true });
      } catch (error) {
        result = { problem: `The lookup could not be explained: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    return explainPage(frame, this.tenantIds(), form, result).text;
  }

  @Get('recent')
  @Header('Content-Type', HTML)
  recent(@Req() req: ConsoleRequest, @Query('tenant') tenant?: string): string {
    const selected = tenant !== undefined && tenant !== '' ? tenant : undefined;
    return recentPage(frameOf(req), this.tenantIds(), selected, this.history.recent(selected, RECENT_SHOWN)).text;
  }

  private tenantIds(): string[] {
    return this.tenants.all().map((tenant) => tenant.id);
  }
}
