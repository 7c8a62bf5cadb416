import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { EarlyTokenCheck } from './auth/early-token-check.middleware';
import { globalSettings, trustProxyValue, type ResolvedGlobalSettings } from './config/global-settings';
import { applyServerLimits } from './http/server-limits';
import { STOP_SIGNALS } from './lifecycle';
import { TenantRegistry } from './tenants/tenant-registry';
import { StartUpChatterAtDebug } from './logging/framework-logger';
import { flushStdoutLogs } from './logging/root-logger';
import { serveApiDocs } from './openapi';
import { RequestLogMiddleware } from './logging/request-log.middleware';

/**
 * How the application is created, in production and in tests alike. No framework body parsers: each
 * route reads its own body within its own limits (`LOOKUP_MAX_BODY_BYTES`, `WORKFLOW_MAX_BODY_BYTES`),
 * after the token check.
 */
export const APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/** What production adds to the Nest application; e2e tests call it too, so they run the same app. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const settings = app.get<ResolvedGlobalSettings>(globalSettings.KEY);
  app.useLogger(new StartUpChatterAtDebug(app.get(Logger)));
  if (settings.TRUST_PROXY !== undefined) app.set('trust proxy', trustProxyValue(settings.TRUST_PROXY));
  // First, so a request refused at the edge (no token, body too big) still gets its id and its line.
  const requestLog = app.get(RequestLogMiddleware);
  app.use(requestLog.use.bind(requestLog));
  // Before any body is read (the routes' readers run after every `app.use`); the guard reads its result.
  const earlyTokenCheck = app.get(EarlyTokenCheck);
  app.use(earlyTokenCheck.use.bind(earlyTokenCheck));
  if (settings.API_DOCS === 'on') serveApiDocs(app);
  // Lookups are never conditional requests, and the framework's name is nobody's business.
  app.disable('etag');
  app.disable('x-powered-by');
  applyServerLimits(app.getHttpServer(), settings, app.get(Logger));
  // Not every signal (Nest's default): SIGHUP must not stop a gateway started with nohup.
  // Exiting (rather than re-raising the signal) lets pino write the last lines.
  app.enableShutdownHooks(STOP_SIGNALS, { useProcessExit: true });
  return app;
}

export async function createApp(): Promise<NestExpressApplication> {
  // Nest's own start-up chatter is off; failures reach the caller as one readable error.
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { ...APP_OPTIONS, logger: false, abortOnError: false }));
}

/** Starts the gateway; resolves with the address it listens on. */
export async function bootstrap(): Promise<{ app: NestExpressApplication; url: string }> {
  const app = await createApp();
  const tenants = app.get(TenantRegistry);
  process.on('SIGHUP', () => void tenants.reload({ readAll: true, reason: 'SIGHUP' }));
  const settings = app.get<ResolvedGlobalSettings>(globalSettings.KEY);
  await app.listen(settings.PORT, settings.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : settings.PORT;
  app.get(Logger).log(`Gateway listening on ${settings.HOST}:${port} (public URL ${settings.publicUrl})`);
  return { app, url: `http://127.0.0.1:${port}` };
}

/** Why the start failed, in the admin's words where Node's are terse. */
export function startFailure(error: unknown): string {
  const { code, address, port } = (error ?? {}) as { code?: unknown; address?: unknown; port?: unknown };
  if (code === 'EADDRINUSE') return `Another process already listens on ${String(address)}:${String(port)}: stop it, or set PORT to a free port.`;
  if (code === 'EACCES') return `Not allowed to listen on ${String(address)}:${String(port)}: ports below 1024 need privileges; set PORT to 1024 or above.`;
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) {
  bootstrap().catch((error: unknown) => {
    flushStdoutLogs();
    process.stderr.write(`\nThe gateway did not start.\n${startFailure(error)}\n\n`);
    process.exit(1);
  });
}
