import { Module } from '@nestjs/common';
import { FailedTokens } from './failed-tokens';
import { TokenBeforeBody } from './token-before-body.middleware';
import { TokenCheck } from './token-check';

/** The tenant token check shared by the guard and the check made before a body is read. */
@Module({ providers: [FailedTokens, TokenCheck, TokenBeforeBody], exports: [TokenCheck, TokenBeforeBody] })
export class AuthModule {}
