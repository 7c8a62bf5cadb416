import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import bodyParser from 'body-parser';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { carriesBody } from '../http/json-body';
import { messagePage } from './console-pages';
import { csrfMatches, type ConsoleSession, ConsoleSessions } from './console-sessions';

export const CONSOLE_COOKIE = 'gateway_console';
export const CONSOLE_PATH = '/admin';
export const SIGN_IN_PATH = `${CONSOLE_PATH}/sign-in`;
export const ASSETS_PATH = `${CONSOLE_PATH}/assets`;
/** The hidden field every form of a session carries. */
export const CSRF_FIELD = 'csrf';
/** A console form holds a few short fields; more is not one of ours. */
const FORM_MAX_BYTES = 4096;

/**
 * The pages' own rules for the browser: scripts and styles from this gateway only (no inline script, no
 * CDN), forms posted only here, never shown in a frame, nothing kept by caches or sent as a referrer.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface ConsoleRequest extends Request {
  consoleSession?: ConsoleSession;
  body: Record<string, unknown> | undefined;
}

/** What needs no session: the sign-in page and form, and the stylesheets and scripts the sign-in page uses. */
function isOpen(method: string, path: string): boolean {
  return path === SIGN_IN_PATH || (path.startsWith(`${ASSETS_PATH}/`) && (method === 'GET' || method === 'HEAD'));
}

export function sessionCookie(session: ConsoleSession, secure: boolean): string {
  return serializeCookie(CONSOLE_COOKIE, session.id, { httpOnly: true, sameSite: 'strict', path: CONSOLE_PATH, secure });
}

export function endedSessionCookie(secure: boolean): string {
  return serializeCookie(CONSOLE_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: CONSOLE_PATH, secure, maxAge: 0 });
}

/**
 * The door of the admin's console, before any of its routes (the admin API at `/admin/outbox` has its
 * own, a bearer token):
 * - off (404) without `ADMIN_TOKEN`;
 * - the security headers on every answer;
 * - a page without a session sends the browser to the sign-in (303); a post without one is refused (401)
 *   before its body is read;
 * - a post's form is read within 4 KB, and refused (403) without its session's CSRF token: the session
 *   cookie alone (which a browser attaches by itself) never makes a change.
 * A tenant's CONNECTOR token opens nothing here: only a session made by signing in with `ADMIN_TOKEN` does.
 */
@Injectable()
export class ConsoleGate implements NestMiddleware {
  private readonly readForm = bodyParser.urlencoded({ extended: false, limit: FORM_MAX_BYTES, parameterLimit: 20, type: 'application/x-www-form-urlencoded' });

  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly sessions: ConsoleSessions,
  ) {}

  use(req: ConsoleRequest, res: Response, next: NextFunction): void {
    setSecurityHeaders(res);
    if (this.settings.ADMIN_TOKEN === undefined) {
      refuse(res, 404, 'The admin console is off', 'Set ADMIN_TOKEN (24+ characters) and restart the gateway to turn it on.');
      return;
    }
    const path = (req.originalUrl.split('?')[0] ?? '').replace(/\/+$/, '') || CONSOLE_PATH;
    const cookieHeader = req.headers.cookie;
    req.consoleSession = this.sessions.find(cookieHeader === undefined ? undefined : parseCookies(cookieHeader)[CONSOLE_COOKIE]);
    const open = isOpen(req.method, path);
    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (!open && !req.consoleSession) {
      if (reading) {
        res.redirect(303, SIGN_IN_PATH);
        return;
      }
      refuse(res, 401, 'Not signed in', 'Your session has ended or was never started: sign in again.');
      return;
    }
    if (reading) return next();
    if (!carriesBody(req)) return this.checkForm(req, res, next, path);
    this.readForm(req, res, (error?: unknown) => {
      if (error !== undefined && error !== null) {
        const status = (error as { status?: unknown }).status === 413 ? 413 : 400;
        refuse(res, status, 'The form could not be read', status === 413 ? `A console form is at most ${FORM_MAX_BYTES} bytes.` : 'Send the form as the page does.');
        return;
      }
      this.checkForm(req, res, next, path);
    });
  }

  private checkForm(req: ConsoleRequest, res: Response, next: NextFunction, path: string): void {
    req.body ??= {};
    if (path === SIGN_IN_PATH) return next();
    if (!csrfMatches(req.consoleSession!, req.body[CSRF_FIELD])) {
      refuse(res, 403, 'Refused: the form did not come from this console', 'The form lacks its session token (CSRF). Open the page again from the console and send it from there.');
      return;
    }
    next();
  }
}

export function setSecurityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

function refuse(res: Response, status: number, title: string, detail: string): void {
  res.status(status).type('html').send(messagePage(status, title, detail).text);
}
