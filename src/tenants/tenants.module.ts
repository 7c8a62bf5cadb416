import { Global, Module } from '@nestjs/common';
import { SourcesModule } from '../sources/sources.module';
import { TenantRegistry } from './tenant-registry';

/** The tenants read from `TENANTS_DIR`, attached to their sources, and those sources, for every module. */
@Global()
@Module({
  imports: [SourcesModule],
  providers: [TenantRegistry],
  exports: [TenantRegistry, SourcesModule],
})
export class TenantsModule {}
