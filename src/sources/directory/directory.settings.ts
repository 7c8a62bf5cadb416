import { IsNotEmpty, IsOptional, IsString } from 'class-validator';

export class DirectorySettings {
  /** CSV phone book, relative to the tenant file's folder or absolute. Enables the source. */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'must be the path of a CSV file (relative to the tenant file, or absolute)' })
  DIRECTORY_FILE?: string;
}
