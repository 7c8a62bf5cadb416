import { Global, Module } from '@nestjs/common';
import { RedisConnection } from './redis-connection';

/** The connection to the Redis the replicas share (`REDIS_URL`), for every module; without it, nothing is sent anywhere. */
@Global()
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class SharedStateModule {}
