import { Module } from '@nestjs/common';
import { AdminOutboxController } from './admin-outbox.controller';

/** The admin API (`/admin/…`, with `ADMIN_TOKEN`): the outbox's queued writes and dead letters. */
@Module({ controllers: [AdminOutboxController] })
export class AdminModule {}
