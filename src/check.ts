import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { unknownGlobalKeys } from './config/global-settings';
import { GlobalSettingsModule } from './config/global-settings.module';
import { formatCheck, TenantCheck } from './tenants/tenant-check';
import { readEnvFile } from './config/unknown-settings';
import { SourcesModule } from './sources/sources.module';
import { ObservabilityModule } from './observability/observability.module';
import { SharedStateModule } from './shared-state/shared-state.module';

/** The global settings and the sources, without the server, the tenants registry or the workflows. */
@Module({
  imports: [GlobalSettingsModule, ObservabilityModule, SharedStateModule, SourcesModule],
  providers: [TenantCheck],
})
class CheckModule {}

/**
 * `npm run check`: the global settings, every tenant file, and per source a sign-in and one read, as a
 * table; exits 1 on any problem. The sources' own log lines are off: the table says it all.
 */
async function check(): Promise<number> {
  let app;
  try {
    app = await NestFactory.createApplicationContext(CheckModule, { logger: false, abortOnError: false });
  } catch (error) {
    process.stdout.write(`Global settings: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  for (const warning of unknownGlobalKeys(readEnvFile(), process.env)) process.stdout.write(`Unknown setting ignored: ${warning}\n`);
  const rows = await app.get(TenantCheck).run();
  process.stdout.write(`${formatCheck(rows)}\n`);
  return rows.every((row) => row.ok) ? 0 : 1;
}

// Kept-alive connections to the CRMs would hold the process open for their idle time.
check().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`The check failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
