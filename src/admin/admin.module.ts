import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LookupModule } from '../lookup/lookup.module';
import { TenantCheck } from '../tenants/tenant-check';
import { AdminOutboxController } from './admin-outbox.controller';
import { AdminOutbox } from './admin-outbox.service';
import { ConsoleChecks } from './console-checks';
import { ConsoleGate } from './console-gate.middleware';
import { ConsoleSessions } from './console-sessions';
import { ConsoleLookupsController } from './console-lookups.controller';
import { ConsoleController } from './console.controller';

/**
 * The admin (`/admin/…`, on only with `ADMIN_TOKEN`): the API of the outbox's queued writes and dead
 * letters (a bearer token), and the console in a browser (a session signed in with the same token).
 */
@Module({
  imports: [AuthModule, LookupModule],
  controllers: [AdminOutboxController, ConsoleController, ConsoleLookupsController],
  providers: [AdminOutbox, TenantCheck, ConsoleChecks, { provide: ConsoleSessions, useFactory: () => new ConsoleSessions() }, ConsoleGate],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConsoleGate).forRoutes(ConsoleController, ConsoleLookupsController);
  }
}
