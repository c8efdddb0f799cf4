import { Body, Controller, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parseDuration } from '@consent-ledger/consent-domain';
import { ApiKeyGuard, CallerId, RequireScopes, ZodPipe } from '@consent-ledger/http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ReconsentCampaignsService } from './reconsent-campaigns.service';
import type { CampaignStatus } from './reconsent-campaigns.service';
import { ReconsentGraceSchedule } from './reconsent-grace.schedule';

const noticeKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');

const duration = z
  .string()
  .max(40)
  .refine((text) => parseDuration(text) !== undefined, {
    message: 'an ISO 8601 duration of weeks, days, hours, minutes, seconds (P30D, PT12H)',
  })
  .transform((text) => parseDuration(text)!);

const scheduleSchema = z
  .strictObject({
    /** How long older grants keep counting; the policy's `lifecycle.reconsent.gracePeriod` if absent. */
    gracePeriod: duration.refine((ms) => ms >= 1_000, 'at least a second').optional(),
    /** When to remind after the request; the policy's `remindAfter` if absent. */
    remindAfter: z.array(duration).max(10).optional(),
  })
  .default({});

/**
 * Re-consent after a material notice change: publishing a registered notice version as material
 * asks everyone whose consent rests on an older version again, reminds them, and applies the
 * policy when the grace period ends.
 */
@ApiTags('re-consent')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller()
export class ReconsentHttpController {
  constructor(
    private readonly campaigns: ReconsentCampaignsService,
    private readonly grace: ReconsentGraceSchedule,
  ) {}

  @Post('v1/notices/:noticeId/versions/:version/re-consent')
  @RequireScopes('admin')
  @ApiOperation({
    summary: 'Publish a notice version as material: ask people under older versions again',
    description:
      'Starts the version’s re-consent campaign (202; 200 with the campaign already started). The version must be registered. The schedule defaults to the policy’s (lifecycle.reconsent).',
  })
  async start(
    @Param('noticeId', new ZodPipe(noticeKey, 'noticeId')) noticeId: string,
    @Param('version', new ZodPipe(noticeKey, 'version')) version: string,
    @Body(new ZodPipe(scheduleSchema)) body: z.output<typeof scheduleSchema>,
    @CallerId() startedBy: string,
    @Res({ passthrough: true }) response: FastifyReply,
  ) {
    const started = await this.campaigns.start(
      noticeId,
      version,
      {
        ...(body.gracePeriod === undefined ? {} : { graceMs: body.gracePeriod }),
        ...(body.remindAfter === undefined ? {} : { remindAfterMs: body.remindAfter }),
      },
      startedBy,
    );
    if (started.created) this.grace.expectGraceEnd(started.campaign);
    response.status(started.created ? 202 : 200);
    return view(started);
  }

  @Get('v1/re-consent-campaigns/:campaignId')
  @HttpCode(200)
  @RequireScopes('consent:read')
  @ApiOperation({ summary: 'A re-consent campaign and how far it has come' })
  async status(
    @Param('campaignId', new ZodPipe(z.string().min(1).max(402), 'campaignId')) id: string,
  ) {
    return view(await this.campaigns.status(id));
  }
}

function view({ campaign, progress }: CampaignStatus) {
  return {
    campaignId: campaign.campaignId,
    notice: { noticeId: campaign.noticeId, version: campaign.noticeVersion },
    startedAt: campaign.startedAt.toISOString(),
    graceEndsAt: campaign.graceEndsAt.toISOString(),
    steps: campaign.steps.map(({ step, dueAt }) => ({ step, dueAt: dueAt.toISOString() })),
    audienceSelected: campaign.selectedAt !== null,
    finishedAt: campaign.finishedAt?.toISOString() ?? null,
    ...progress,
  };
}
