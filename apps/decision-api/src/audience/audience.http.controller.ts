import { once } from 'node:events';
import { Controller, Get, Inject, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import {
  AppError,
  ApiKeyGuard,
  CurrentCaller,
  RequireScopes,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { z } from 'zod';
import {
  booleanQuery,
  jurisdictionSchema,
  purposeSchema,
  usageReferenceSchema,
} from '../decision-request';
import { usageEntry } from '../usage-entry';
import { UsageLogService } from '../usage-log.service';
import { askedJurisdiction, DecisionViewService } from '../decision-view.service';
import type { DecisionSnapshot } from '../decision-view.service';

const audienceQuerySchema = z.strictObject({
  jurisdiction: jurisdictionSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  after: textField(40).optional(),
  follow: booleanQuery.default(false),
  campaignId: usageReferenceSchema.optional(),
  jobId: usageReferenceSchema.optional(),
});
type AudienceQuery = z.output<typeof audienceQuerySchema>;

/**
 * Streams one API key may keep following at once, per instance: each holds its members in memory
 * and wakes on every change of its purpose, so one key cannot take the instance's memory.
 */
export const MAX_FOLLOWERS_PER_KEY = 8;

/** A stream lets other requests run after each this many subjects it looked at. */
const SUBJECTS_BETWEEN_YIELDS = 5_000;
const followersCut = new Counter({
  name: 'consent_audience_followers_cut_total',
  help: 'Audience follow streams ended because their client let too many changes wait unread',
});

/** How long a cut follower has to read its last line before its connection is closed. */
const CUT_GRACE_MS = 30_000;

/** Lets the event loop serve other requests before a long scan goes on. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A cursor is the position in the view's append-only subject order, made opaque. */
const encodeCursor = (index: number) => Buffer.from(`a:${index}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^a:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new AppError(
      'REQUEST.INVALID_CURSOR',
      'Invalid cursor',
      'Pass back nextCursor as given',
      [{ field: 'after', code: 'REQUEST.INVALID_CURSOR', message: 'not a cursor this API issued' }],
    );
  }
  return Number(match[1]);
}

/**
 * Campaign tools ask who they may reach for a purpose. JSON pages by default; with
 * `Accept: application/x-ndjson` the whole audience streams, and with `follow=true` the stream
 * then carries joins and leaves as consents change.
 */
@ApiTags('decisions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('decision:read')
@Controller('v1/purposes/:purpose/audience')
export class AudienceHttpController implements BeforeApplicationShutdown {
  /** Follow streams open per key id. */
  private readonly followers = new Map<string, number>();
  /** Streams still being written, ended when the app shuts down (the clients reconnect). */
  private readonly streams = new Map<ServerResponse, () => void>();

  /**
   * Subjects one JSON page looks at, at most (AUDIENCE_PAGE_MAX_SCANNED): a page of a purpose few
   * people allowed may hold fewer than `limit` subjects (even none) with a cursor to go on from,
   * rather than scan the whole view while every other request waits.
   */
  private readonly pageMaxScanned: number;
  /**
   * Changes (distinct subjects) a follower may leave waiting while the stream waits for it to
   * read (AUDIENCE_FOLLOWER_MAX_QUEUED_CHANGES): past that its stream ends with
   * AUDIENCE.FOLLOWER_TOO_SLOW, and it lists the audience again. A client that does not read
   * cannot make the instance hold every change of the purpose.
   */
  private readonly maxQueuedChanges: number;

  constructor(
    private readonly decisions: DecisionViewService,
    private readonly usageLog: UsageLogService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pageMaxScanned = config.decisions.audiencePageMaxScanned;
    this.maxQueuedChanges = config.decisions.followerMaxQueuedChanges;
  }

  @Get()
  @ApiOperation({
    summary: 'The subjects allowed for a purpose now, with the log position it reflects',
    description:
      'Subjects the view has seen whose decision allows the purpose (an unseen subject is in no audience). JSON: { subjects, nextCursor, logPosition }, paged with `after`; a page looks at 50,000 subjects at most (AUDIENCE_PAGE_MAX_SCANNED), so it may hold fewer than `limit` (even none): follow nextCursor until it is null. NDJSON (Accept: application/x-ndjson): one {"subjectId"} per line; with follow=true, then {"subjectId","change":"joined"|"left"} lines as decisions change, until the client disconnects. A follower that lets more than 10,000 changes wait unread (AUDIENCE_FOLLOWER_MAX_QUEUED_CHANGES) gets a last line {"error":"AUDIENCE.FOLLOWER_TOO_SLOW"} and the stream ends: list again and follow from there.',
  })
  async audience(
    @Param('purpose', new ZodPipe(purposeSchema)) purpose: string,
    @Query(new ZodPipe(audienceQuerySchema)) query: AudienceQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    this.decisions.assertKnownPurpose(purpose);
    const askedBy = caller.keyId;
    const asked = askedJurisdiction(query.jurisdiction, caller);
    this.usageLog.assertAccepting();
    const snapshot = this.decisions.snapshot();
    const allowed = (subjectId: string, at: DecisionSnapshot) =>
      this.decisions.decide(subjectId, purpose, at, asked).allowed;
    /** Each subject the caller is told about (listed, joined or left) goes to the usage log. */
    const told = (subjectId: string, at: DecisionSnapshot) =>
      this.usageLog.record([
        usageEntry(subjectId, this.decisions.decide(subjectId, purpose, at, asked), {
          kind: 'AUDIENCE',
          purpose,
          askedBy,
          campaignId: query.campaignId,
          jobId: query.jobId,
          logPosition: at.logPositionText,
        }),
      ]);

    if (!(request.headers.accept ?? '').includes('application/x-ndjson')) {
      if (query.follow) {
        throw new AppError(
          'REQUEST.FOLLOW_NEEDS_STREAM',
          'follow needs a stream',
          'follow=true needs Accept: application/x-ndjson',
          [
            {
              field: 'follow',
              code: 'REQUEST.FOLLOW_NEEDS_STREAM',
              message: 'send Accept: application/x-ndjson',
            },
          ],
        );
      }
      const start = query.after ? decodeCursor(query.after) : 0;
      const { ids, total } = this.decisions.subjectsFrom(start);
      const subjects: string[] = [];
      let index = start;
      for (const subjectId of ids) {
        index += 1;
        if (allowed(subjectId, snapshot)) subjects.push(subjectId);
        if (subjects.length === query.limit) break;
        if (index - start >= this.pageMaxScanned) break;
      }
      for (const subjectId of subjects) told(subjectId, snapshot);
      await reply.send({
        purpose,
        policyVersion: snapshot.policyVersion,
        logPosition: snapshot.logPosition,
        subjects,
        nextCursor: index < total ? encodeCursor(index) : null,
      });
      return;
    }

    if (query.follow) this.admitFollower(caller.keyId, request);
    // The stream is written to the socket directly, not through Fastify.
    reply.hijack();
    const response: ServerResponse = reply.raw;
    response.writeHead(200, {
      'Content-Type': 'application/x-ndjson',
      'Consent-Log-Position': snapshot.logPositionText,
      'Consent-Policy-Version': snapshot.policyVersion,
    });
    // The status and headers go now: a follower of an empty audience learns at once that it is
    // following, rather than when the first member joins.
    response.flushHeaders();
    // Changes heard while the snapshot streams are replayed after it, so none is missed; a
    // subject changed twice is looked at once (its decision is taken when the change is sent).
    const members = new Set<string>();
    let changed = new Set<string>();
    let waitingForClient = false;
    // Resolves the follower's wait when a change arrives or the client goes away.
    let wake: (() => void) | undefined;
    const unsubscribe = query.follow
      ? this.decisions.onChange((subjectId, changedPurpose) => {
          if (changedPurpose === purpose || purpose.startsWith(`${changedPurpose}.`)) {
            changed.add(subjectId);
            // Too many waiting while the stream waits for the client: it is not reading.
            if (waitingForClient && changed.size > this.maxQueuedChanges) tooSlow();
            else wake?.();
          }
        })
      : () => undefined;
    let open = true;
    // Ends a wait for the client to read when the stream closes.
    const gone = new AbortController();
    const closed = () => {
      if (!open) return;
      open = false;
      this.streams.delete(response);
      unsubscribe();
      gone.abort();
      wake?.();
    };
    // The follower is not reading: its last line says why, and the stream ends (cut after a
    // grace period if even that line is not read).
    const tooSlow = () => {
      if (!open) return;
      changed.clear();
      // The connection closes once the line is flushed (it was cut: the client must see it end),
      // or after a grace period if even that line is not read.
      const socket = response.socket;
      response.end(
        `${JSON.stringify({
          error: 'AUDIENCE.FOLLOWER_TOO_SLOW',
          detail: `More than ${this.maxQueuedChanges} changes were waiting for this stream to be read: list the audience again and follow from there.`,
        })}\n`,
        () => socket?.end(),
      );
      closed();
      followersCut.inc();
      setTimeout(() => socket?.destroy(), CUT_GRACE_MS).unref();
    };
    this.streams.set(response, closed);
    request.raw.on('close', closed);
    response.on('close', closed);
    const write = async (line: unknown) => {
      if (response.write(`${JSON.stringify(line)}\n`)) return;
      waitingForClient = true;
      await once(response, 'drain', { signal: gone.signal }).catch(() => undefined);
      waitingForClient = false;
    };
    let scanned = 0;
    for (const subjectId of this.decisions.subjectsFrom(0).ids) {
      if (!open) return;
      scanned += 1;
      if (scanned % SUBJECTS_BETWEEN_YIELDS === 0) await yieldToOthers();
      if (allowed(subjectId, snapshot)) {
        if (query.follow) members.add(subjectId);
        told(subjectId, snapshot);
        await write({ subjectId });
      }
    }
    if (!query.follow) {
      response.end();
      return;
    }
    while (open) {
      const batch = changed;
      changed = new Set();
      const now = this.decisions.snapshot();
      for (const subjectId of batch) {
        if (!open) return;
        const isMember = allowed(subjectId, now);
        if (isMember === members.has(subjectId)) continue;
        if (isMember) members.add(subjectId);
        else members.delete(subjectId);
        told(subjectId, now);
        await write({
          subjectId,
          change: isMember ? 'joined' : 'left',
          logPosition: now.logPosition,
        });
      }
      if (changed.size === 0 && open) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
  }

  /**
   * Closes every open stream, so that closing the server does not wait for their clients (a
   * follow stream never ends by itself, and a client may stop reading without closing its
   * connection); the clients see the stream cut and reconnect to another instance.
   */
  beforeApplicationShutdown(): void {
    for (const [stream, close] of [...this.streams]) {
      close();
      stream.destroy();
    }
  }

  /** Counts a follower of this key until its client goes; 429 past MAX_FOLLOWERS_PER_KEY. */
  private admitFollower(keyId: string, request: FastifyRequest): void {
    const open = this.followers.get(keyId) ?? 0;
    if (open >= MAX_FOLLOWERS_PER_KEY) {
      throw new AppError(
        'AUDIENCE.TOO_MANY_FOLLOWERS',
        'Too many followed audiences',
        `Key '${keyId}' already follows ${open} audiences (at most ${MAX_FOLLOWERS_PER_KEY} at once); close one first.`,
        [],
        5,
      );
    }
    this.followers.set(keyId, open + 1);
    request.raw.once('close', () => {
      const left = (this.followers.get(keyId) ?? 1) - 1;
      if (left > 0) this.followers.set(keyId, left);
      else this.followers.delete(keyId);
    });
  }
}
