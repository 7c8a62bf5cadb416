import { Global, Module } from '@nestjs/common';
import { OutboxStore } from './outbox-store';

/** The outbox of workflow writes waiting for their CRM, for the workflows and the admin. */
@Global()
@Module({ providers: [OutboxStore], exports: [OutboxStore] })
export class OutboxModule {}
