import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import type { Outbox } from './outbox';
import { SqliteOutbox } from './sqlite-outbox';

/**
 * The outbox this process uses: `<DATA_DIR>/outbox.sqlite`, opened at start. When it cannot be opened
 * (a folder that cannot be written), the gateway still starts and answers workflows as without an
 * outbox (a failed write is a 502), and says so once, loudly: a start refused after an upgrade would be worse.
 */
@Injectable()
export class OutboxStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  readonly outbox: Outbox | undefined;
  readonly file: string;
  private readonly problem: string | undefined;

  constructor(@Inject(globalSettings.KEY) settings: ResolvedGlobalSettings) {
    this.file = resolve(settings.DATA_DIR, 'outbox.sqlite');
    try {
      this.outbox = SqliteOutbox.open(this.file);
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  /** Said once the app's logger is in place (the store is opened earlier, when the modules are built). */
  onModuleInit(): void {
    if (this.problem === undefined) return;
    this.logger.error(
      `Cannot open the outbox ${this.file} (${this.problem}): workflow writes a CRM refuses for now will be answered 502 instead of kept and delivered later. Point DATA_DIR to a folder this user can write, on a persistent volume.`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox?.close();
  }
}
