import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  RequireScopes,
  subjectIdSchema,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import { z } from 'zod';
import { TrainingManifestService } from './training-manifest.service';
import type { AffectedManifest, TrainingManifest } from './training-manifest.service';

/** Most subjects one manifest request may list. */
export const MAX_MANIFEST_SUBJECTS = 100_000;

const manifestRequestSchema = z.strictObject({
  jobId: textField(200),
  datasetId: textField(200),
  purpose: textField(200),
  subjectIds: z.array(subjectIdSchema).min(1).max(MAX_MANIFEST_SUBJECTS),
});

/** Training jobs ask which subjects they may use; auditors ask which models used withdrawn data. */
@UseGuards(ApiKeyGuard)
@Controller('v1/training-manifests')
export class TrainingManifestsHttpController {
  constructor(private readonly manifests: TrainingManifestService) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('decision:read')
  issue(
    @Body(new ZodPipe(manifestRequestSchema)) request: z.output<typeof manifestRequestSchema>,
    @Req() http: { caller?: Caller },
  ): Promise<TrainingManifest> {
    return this.manifests.issue(request, http.caller?.keyId ?? 'unknown');
  }

  @Get('affected')
  @RequireScopes('audit:read')
  async affected(): Promise<{ manifests: AffectedManifest[] }> {
    return { manifests: await this.manifests.affected() };
  }
}
