import { Module } from '@nestjs/common';
import { DirectorySource } from './directory.source';

@Module({ providers: [DirectorySource], exports: [DirectorySource] })
export class DirectoryModule {}
