import { Module } from '@nestjs/common';
import { FailedTokens } from './failed-tokens';
import { EarlyTokenCheck } from './early-token-check.middleware';
import { TokenCheck } from './token-check';

/** The tenant token check shared by the guard and the check made before a body is read. */
@Module({ providers: [FailedTokens, TokenCheck, EarlyTokenCheck], exports: [TokenCheck, EarlyTokenCheck, FailedTokens] })
export class AuthModule {}
