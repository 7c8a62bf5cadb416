import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { declaredKeys } from '../config/settings-validation';
import { jsonBodyReader } from '../http/json-body';
import { LookupInputs } from './lookup-request.dto';

/** The lookup's optional body (`{"inputs":{"phoneNumber":"…"}}`): JSON media types only, `LOOKUP_MAX_BODY_BYTES` at most. */
@Injectable()
export class LookupBodyReader implements NestMiddleware {
  private readonly read: ReturnType<typeof jsonBodyReader>;

  constructor(@Inject(globalSettings.KEY) settings: ResolvedGlobalSettings) {
    this.read = jsonBodyReader({
      maxBytes: settings.LOOKUP_MAX_BODY_BYTES,
      limitSetting: 'LOOKUP_MAX_BODY_BYTES',
      // The body is only a fallback for the query parameter: a body of another type is left unread.
      anyContentType: false,
      knownInputs: declaredKeys(LookupInputs),
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    this.read(req, res, next);
  }
}
