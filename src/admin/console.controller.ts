import { Controller, Get, Header, Inject, NotFoundException, Param, Post, Redirect, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { FailedTokens } from '../auth/failed-tokens';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { TenantRegistry } from '../tenants/tenant-registry';
import { AdminOutbox } from './admin-outbox.service';
import { loadConsoleAssets, type ConsoleAsset } from './console-assets';
import { ConsoleChecks } from './console-checks';
import { ConsoleErrorPage } from './console-error.filter';
import { CONSOLE_PATH, endedSessionCookie, sessionCookie, type ConsoleRequest } from './console-gate.middleware';
import type { PageFrame } from './console-layout';
import { outboxPage, signInPage, tenantsPage } from './console-pages';
import { ConsoleSessions, sameSecret } from './console-sessions';
import { tenantViews } from './tenant-views';

const HTML = 'text/html; charset=utf-8';
/** The queued writes and dead letters one page lists, newest first. */
const DELIVERIES_SHOWN = 200;

/** The page frame of the request's session (the gate let no request without one through), and its notice, once. */
export function frameOf(req: ConsoleRequest): PageFrame {
  const session = req.consoleSession!;
  const notice = session.notice;
  session.notice = undefined;
  return { csrfToken: session.csrfToken, notice };
}

function formField(req: ConsoleRequest, name: string): string | undefined {
  const value = req.body?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The admin's console: signing in and out, its assets, the outbox and the tenants (the lookups' pages
 * are in console-lookups.controller.ts). HTML, not API: the gate (console-gate.middleware.ts) checks the
 * session and the CSRF token before any of these runs.
 */
@ApiExcludeController()
@Public()
@UseFilters(ConsoleErrorPage)
@Controller('admin')
export class ConsoleController {
  private readonly assets: ReadonlyMap<string, ConsoleAsset> = loadConsoleAssets();

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly sessions: ConsoleSessions,
    private readonly failures: FailedTokens,
    private readonly outbox: AdminOutbox,
    private readonly tenants: TenantRegistry,
    private readonly checks: ConsoleChecks,
  ) {}

  @Get('sign-in')
  signInForm(@Req() req: ConsoleRequest, @Res() res: Response): void {
    if (req.consoleSession) return res.redirect(303, CONSOLE_PATH);
    res.type('html').send(signInPage().text);
  }

  /**
   * Counted with the tenants' failed tokens: an address that sent too many wrong ones (to the console or
   * the lookups) is refused for a while without its token being looked at.
   */
  @Post('sign-in')
  async signIn(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const address = req.ip ?? req.socket.remoteAddress;
    const blockedForS = this.failures.blockedFor(address);
    const refusal = blockedForS !== undefined ? this.failures.blockedRefusal(blockedForS) : sameSecret(this.settings.ADMIN_TOKEN!, formField(req, 'token')) ? undefined : await this.failures.refusal(address);
    if (refusal) {
      if (refusal.status === 429) res.setHeader('Retry-After', String(refusal.retryAfterS));
      const problem = refusal.status === 429 ? refusal.message : "Wrong admin token: that is not this gateway's ADMIN_TOKEN (a tenant's CONNECTOR token does not open the console).";
      res.status(refusal.status).type('html').send(signInPage({ problem }).text);
      return;
    }
    if (req.consoleSession) this.sessions.end(req.consoleSession.id);
    const session = this.sessions.start();
    res.setHeader('Set-Cookie', sessionCookie(session, req.secure));
    res.redirect(303, CONSOLE_PATH);
  }

  @Post('sign-out')
  signOut(@Req() req: ConsoleRequest, @Res() res: Response): void {
    this.sessions.end(req.consoleSession!.id);
    res.setHeader('Set-Cookie', endedSessionCookie(req.secure));
    res.status(200).type('html').send(signInPage({ notice: 'Signed out.' }).text);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`No console asset ${name}`);
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.type(asset.contentType).send(asset.body);
  }

  @Get('deliveries')
  @Header('Content-Type', HTML)
  async deliveries(@Req() req: ConsoleRequest): Promise<string> {
    const frame = frameOf(req);
    try {
      const [queued, dead] = await Promise.all([this.outbox.list('queued', DELIVERIES_SHOWN), this.outbox.list('dead', DELIVERIES_SHOWN)]);
      return outboxPage(frame, { queued, dead }).text;
    } catch (error) {
      return outboxPage(frame, { problem: error instanceof Error ? error.message : String(error) }).text;
    }
  }

  @Post('deliveries/:id/retry')
  @Redirect('/admin/deliveries', 303)
  async retry(@Req() req: ConsoleRequest, @Param('id') id: string): Promise<void> {
    const delivery = await this.outbox.retry(id);
    req.consoleSession!.notice = `${delivery.workflow} for ${delivery.tenant} (${delivery.source}) is queued to be sent now.`;
  }

  @Post('deliveries/:id/drop')
  @Redirect('/admin/deliveries', 303)
  async drop(@Req() req: ConsoleRequest, @Param('id') id: string): Promise<void> {
    await this.outbox.drop(id);
    req.consoleSession!.notice = `Write ${id} dropped for good.`;
  }

  @Get('tenants')
  @Header('Content-Type', HTML)
  tenantsPage(@Req() req: ConsoleRequest): string {
    const views = tenantViews(this.tenants.all(), this.tenants.fileStatuses(), (tenantSource) => this.tenants.readinessOf(tenantSource));
    return tenantsPage(frameOf(req), views, this.checks.lastResult, this.checks.isRunning).text;
  }

  @Post('tenants/check')
  @Redirect('/admin/tenants', 303)
  async runChecks(@Req() req: ConsoleRequest): Promise<void> {
    const result = await this.checks.run();
    const problems = result.rows.filter((row) => !row.ok).length;
    req.consoleSession!.notice = problems === 0 ? 'Checks done: everything checked is ok.' : `Checks done: ${problems} problem(s), listed below.`;
  }
}
