import { Module } from '@nestjs/common';
import { SalesforceSource } from './salesforce.source';
import { SalesforceCallFlow, SalesforceCreateContact, SalesforceCreateTicket, SalesforceWriter } from './salesforce.workflows';

@Module({
  providers: [SalesforceSource, SalesforceWriter, SalesforceCallFlow, SalesforceCreateTicket, SalesforceCreateContact],
  exports: [SalesforceSource],
})
export class SalesforceModule {}
