import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { crmHttpOptions } from '../connection-pool';
import { HubSpotSource } from './hubspot.source';
import { HUBSPOT_WORKFLOWS } from './hubspot.workflows';

/** Open sockets to HubSpot, per host, at most: a hanging HubSpot cannot pile up more. */
export const HUBSPOT_MAX_SOCKETS = 128;

@Module({
  imports: [HttpModule.register(crmHttpOptions(HUBSPOT_MAX_SOCKETS))],
  providers: [HubSpotSource, ...HUBSPOT_WORKFLOWS],
  exports: [HubSpotSource],
})
export class HubSpotModule {}
