import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { globalSettings } from './global-settings';
import { ENV_FILE, UnknownSettingsWarning } from './unknown-settings';

/** The global settings (environment + optional `.env`), checked at start, for every module. */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true, envFilePath: ENV_FILE, load: [globalSettings] })],
  providers: [UnknownSettingsWarning],
})
export class GlobalSettingsModule {}
