import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SourcesModule } from '../sources/sources.module';
import { globalSettings } from './global-settings';
import { TenantRegistry } from './tenant-registry';
import { ENV_FILE, UnknownSettingsWarning } from './unknown-settings';

/** Global settings (environment + optional `.env`) and the tenants read from `TENANTS_DIR`. */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true, envFilePath: ENV_FILE, load: [globalSettings] }), SourcesModule],
  providers: [TenantRegistry, UnknownSettingsWarning],
  exports: [TenantRegistry, SourcesModule],
})
export class SettingsModule {}
