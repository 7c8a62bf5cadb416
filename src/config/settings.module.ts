import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SourcesModule } from '../sources/sources.module';
import { globalSettings } from './global-settings';
import { TenantRegistry } from './tenant-registry';

/** Global settings (environment + optional `.env`) and the tenants read from `TENANTS_DIR`. */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true, envFilePath: '.env', load: [globalSettings] }), SourcesModule],
  providers: [TenantRegistry],
  exports: [TenantRegistry, SourcesModule],
})
export class SettingsModule {}
