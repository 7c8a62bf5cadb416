import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { globalSettings, type ResolvedGlobalSettings } from './config/global-settings';
import { RequestLogMiddleware } from './logging/request-log.middleware';

/** Bodies are small JSON objects; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What production adds to the Nest application; e2e tests call it too, so they run the same app. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.useLogger(app.get(Logger));
  // Before the body parsers, so a request whose body is refused (malformed, too big) still gets its id
  // and its line: mounted through Nest's `forRoutes('*')`, it ran after them and missed those.
  const requestLog = app.get(RequestLogMiddleware);
  app.use(requestLog.use.bind(requestLog));
  // Lookups are never conditional requests, and the framework's name is nobody's business.
  app.disable('etag');
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  // See KEEP_ALIVE_S. Node's `headersTimeout` (60 s) stays: on Node 20 it runs only while a request's
  // headers arrive, not on an idle kept-alive connection (checked: idle past it, the next request is served).
  const server: Server = app.getHttpServer();
  server.keepAliveTimeout = app.get<ResolvedGlobalSettings>(globalSettings.KEY).KEEP_ALIVE_S * 1000;
  app.enableShutdownHooks();
  return app;
}

export async function createApp(): Promise<NestExpressApplication> {
  // Nest's own start-up chatter is off; failures reach the caller as one readable error.
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { logger: false, abortOnError: false }));
}

/** Starts the gateway; resolves with the address it listens on. */
export async function bootstrap(): Promise<{ app: NestExpressApplication; url: string }> {
  const app = await createApp();
  const settings = app.get<ResolvedGlobalSettings>(globalSettings.KEY);
  await app.listen(settings.PORT, settings.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : settings.PORT;
  app.get(Logger).log(`Gateway listening on ${settings.HOST}:${port} (public URL ${settings.publicUrl})`);
  return { app, url: `http://127.0.0.1:${port}` };
}

if (require.main === module) {
  bootstrap().catch((error: unknown) => {
    process.stderr.write(`\nThe gateway did not start.\n${error instanceof Error ? error.message : String(error)}\n\n`);
    process.exit(1);
  });
}
