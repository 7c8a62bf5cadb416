import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { ApiErrorAnswer, errorBody } from '../http/openapi-answers';
import { LOOKUP_SOURCES, type LookupSource } from '../core/source';
import { renderBadgeSvg } from './badge-svg';

const SVG_SUFFIX = '.svg';

/** `/logos/<source>.svg`: public, because the CONNECTOR's users load the images without our token. */
@ApiTags('logos')
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
  @ApiOperation({
    summary: "A source's badge",
    description: "The badge a card's `CrmLogo` points at (`<PUBLIC_URL>/logos/<source>.svg`), unless the tenant sets its own `<PREFIX>_LOGO_URL`. Open without a token: the CONNECTOR's users load the images without one. Cached for a day.",
  })
  @ApiParam({
    name: 'file',
    description: "`<source>.svg`, a source's id: `salesforce`, `hubspot`, `sugar`, `directory`.",
    schema: { type: 'string', pattern: '^[a-z0-9-]+\\.svg$' },
    examples: { salesforce: { summary: 'Salesforce', value: 'salesforce.svg' }, directory: { summary: 'The phone book', value: 'directory.svg' } },
  })
  @ApiOkResponse({
    description: 'The badge, as SVG.',
    content: { 'image/svg+xml': { schema: { type: 'string' }, example: '<svg xmlns="http://www.w3.org/2000/svg" …><title>Directory</title>…</svg>' } },
  })
  @ApiErrorAnswer(404, 'No source of that name, or not `.svg`.', { unknown: { summary: 'An unknown badge', value: errorBody(404, 'No logo named salesforce.png') } })
  logo(@Param('file') file: string): string {
    const svg = file.endsWith(SVG_SUFFIX) ? this.svgBySource.get(file.slice(0, -SVG_SUFFIX.length)) : undefined;
    if (svg === undefined) throw new NotFoundException(`No logo named ${file}`);
    return svg;
  }
}
