import { Module } from '@nestjs/common';
import { SalesforceSource } from './salesforce.source';
import { SALESFORCE_WORKFLOWS } from './salesforce.workflows';

@Module({
  providers: [SalesforceSource, ...SALESFORCE_WORKFLOWS],
  exports: [SalesforceSource],
})
export class SalesforceModule {}
