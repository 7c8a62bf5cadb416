import { Injectable } from '@nestjs/common';
import { TenantCheck } from '../tenants/tenant-check';
import type { CheckResult } from './console-pages';

/**
 * The checks of `npm run check`, run from the console on a button press (never on a page view: each one
 * signs in to every CRM). One run at a time; the last result is kept for the Tenants page.
 */
@Injectable()
export class ConsoleChecks {
  private last: CheckResult | undefined;
  private running: Promise<CheckResult> | undefined;

  constructor(private readonly check: TenantCheck) {}

  get lastResult(): CheckResult | undefined {
    return this.last;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Runs the checks, or waits for the run already going. */
  async run(): Promise<CheckResult> {
    this.running ??= this.check
      .run()
      .then((rows) => {
        this.last = { at: new Date(), rows };
        return this.last;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
