import type { Provider } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { globalSettings, loadGlobalSettings } from '../../src/config/global-settings';
import { LOG_DESTINATION } from '../../src/logging/root-logger';
import { APP_OPTIONS, configureApp } from '../../src/main';
import { LOOKUP_SOURCES, type LookupSource } from '../../src/core/source';
import { SOURCE_CLASSES, withTemplates } from '../../src/sources/sources.module';
import { TEMPLATE_SOURCES } from '../../src/sources/template/template.module';
import type { TemplateSource } from '../../src/sources/template/template.source';
import { SOURCE_ACCESS_CLOCK } from '../../src/source-access/source-access';
import { LogCapture } from './log-capture';

export interface TestAppOptions {
  /** Files to write into a fresh tenants folder: `{ 'acme.env': 'TOKEN=…', 'book.csv': '…' }`; bytes are written as they are. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Use this existing tenants folder instead (left as it is). */
  readonly tenantsDir?: string;
  /** Global settings, as environment strings. */
  readonly env?: Readonly<Record<string, string>>;
  /** Sources registered after the gateway's own (test doubles for the core's fan-out). */
  readonly extraSources?: readonly LookupSource[];
  /** More providers, e.g. workflow handlers of the extra sources. */
  readonly providers?: Provider[];
  /** The source-access door's clock (cache ages, budgets): a test moves it instead of sleeping through a TTL. */
  readonly doorClock?: () => number;
}

export interface TestApp {
  readonly app: NestExpressApplication;
  readonly http: ReturnType<typeof request>;
  readonly logs: LogCapture;
  readonly dir: string;
  close(): Promise<void>;
}

/** The whole gateway, as production wires it, on a tenants folder made for the test. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const ownsDir = options.tenantsDir === undefined;
  const dir = options.tenantsDir ?? mkdtempSync(join(tmpdir(), 'gateway-tenants-'));
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  // The outbox's file: one per app, gone with it (a test that needs it elsewhere sets DATA_DIR).
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-data-'));
  const removeDir = (): void => {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  const logs = new LogCapture();
  // nestjs-pino keeps the logger for lines outside a request in a module-wide singleton: one per app here.
  __resetOutOfContextForTests();
  let app: NestExpressApplication | undefined;
  try {
    let builder = Test.createTestingModule({ imports: [AppModule], providers: options.providers ?? [] })
      .overrideProvider(globalSettings.KEY)
      .useValue(loadGlobalSettings({ TENANTS_DIR: dir, LOG_LEVEL: 'debug', DATA_DIR: dataDir, ...options.env }))
      .overrideProvider(LOG_DESTINATION)
      .useValue(logs);
    if (options.doorClock) builder = builder.overrideProvider(SOURCE_ACCESS_CLOCK).useValue(options.doorClock);
    if (options.extraSources) {
      const extra = options.extraSources;
      builder = builder.overrideProvider(LOOKUP_SOURCES).useFactory({
        inject: [TEMPLATE_SOURCES, ...SOURCE_CLASSES],
        factory: (templates: readonly TemplateSource[], ...sources: LookupSource[]) => [...withTemplates(sources, templates), ...extra],
      });
    }
    const moduleRef = await builder.compile();
    app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ ...APP_OPTIONS, logger: false }));
    await app.init();
  } catch (error) {
    await app?.close();
    removeDir();
    throw error;
  }
  const started = app;
  return {
    app: started,
    http: request(started.getHttpServer()),
    logs,
    dir,
    async close() {
      await started.close();
      removeDir();
    },
  };
}

/** Runs `use` against a gateway started for it alone, and closes that gateway whatever happens. */
export async function withTestApp<T>(options: TestAppOptions, use: (gateway: TestApp) => Promise<T>): Promise<T> {
  const gateway = await startTestApp(options);
  try {
    return await use(gateway);
  } finally {
    await gateway.close();
  }
}
