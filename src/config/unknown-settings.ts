import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { parse as parseEnv } from 'dotenv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { unknownGlobalKeys } from './global-settings';
import { isMissing } from './file-errors';

/** The optional file of global settings, in the folder the gateway is started from (as `ConfigModule` reads it). */
export const ENV_FILE = '.env';

/** Warns at start, once per key, of settings that look like the gateway's but are none of them. */
@Injectable()
export class UnknownSettingsWarning implements OnModuleInit {
  private readonly logger = new Logger('Settings');

  onModuleInit(): void {
    for (const warning of unknownGlobalKeys(readEnvFile(), process.env)) this.logger.warn(`Unknown setting ignored: ${warning}`);
  }
}

export function readEnvFile(): Record<string, string> {
  try {
    return parseEnv(readFileSync(resolve(ENV_FILE)));
  } catch (error) {
    if (isMissing(error)) return {};
    throw error;
  }
}
