import type { ValidationPipeOptions } from '@nestjs/common';

/** How every request DTO is read: converted to its class, unknown fields dropped (never rejected). */
export const VALIDATION_OPTIONS: ValidationPipeOptions = { transform: true, whitelist: true };
