import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { crmHttpOptions } from '../connection-pool';
import { SugarSource } from './sugar.source';
import { SUGAR_WORKFLOWS } from './sugar.workflows';

/** Keep-alive connections to Sugar, at most this many per host. */
export const SUGAR_MAX_SOCKETS = 128;

@Module({
  // No redirects followed: Sugar answers an unknown API version with 301 incorrect_version, an error.
  imports: [HttpModule.register(crmHttpOptions(SUGAR_MAX_SOCKETS))],
  providers: [SugarSource, ...SUGAR_WORKFLOWS],
  exports: [SugarSource],
})
export class SugarModule {}
