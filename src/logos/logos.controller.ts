import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';
import { renderBadgeSvg } from './badge-svg';

const SVG_SUFFIX = '.svg';

/** `/logos/<source>.svg`: public, because the CONNECTOR's users load the images without our token. */
@Controller('logos')
export class LogosController {
  private readonly svgBySource: ReadonlyMap<string, string>;

  constructor(@Inject(LOOKUP_SOURCES) sources: readonly LookupSource[]) {
    this.svgBySource = new Map(sources.map((s) => [s.id, renderBadgeSvg(s.defaultDisplayName, s.badge)]));
  }

  @Public()
  @Get(':file')
  @Header('Content-Type', 'image/svg+xml; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  logo(@Param('file') file: string): string {
    const svg = file.endsWith(SVG_SUFFIX) ? this.svgBySource.get(file.slice(0, -SVG_SUFFIX.length)) : undefined;
    if (svg === undefined) throw new NotFoundException(`No logo named ${file}`);
    return svg;
  }
}
