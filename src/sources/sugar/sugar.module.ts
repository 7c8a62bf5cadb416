import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { keepAliveAgents } from '../connection-pool';
import { SugarSource } from './sugar.source';
import { SugarCallFlow, SugarCreateContact, SugarCreateTicket, SugarWriter } from './sugar.workflows';

/** Keep-alive connections to Sugar, at most this many per host. */
export const SUGAR_MAX_SOCKETS = 128;

@Module({
  imports: [
    HttpModule.register({
      ...keepAliveAgents(SUGAR_MAX_SOCKETS),
      // Sugar answers an unknown API version with 301 incorrect_version: an error, not a redirect.
      maxRedirects: 0,
    }),
  ],
  providers: [SugarSource, SugarWriter, SugarCallFlow, SugarCreateTicket, SugarCreateContact],
  exports: [SugarSource],
})
export class SugarModule {}
