import { once } from 'node:events';
import { pipeline, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Controller, Inject, Logger, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, loadDataFieldRules } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import {
  AppError,
  ApiKeyGuard,
  CurrentCaller,
  isSubjectId,
  RequireScopes,
  textField,
  ZodPipe,
} from '@consent-ledger/http';
import type { Caller } from '@consent-ledger/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { z } from 'zod';
import { jurisdictionSchema, purposeSchema, usageReferenceSchema } from '../decision-request';
import { UsageLogService } from '../usage-log.service';
import { usageEntry } from '../usage-entry';
import { askedJurisdiction, DecisionViewService } from '../decision-view.service';
import type { AskedJurisdiction, DecisionSnapshot } from '../decision-view.service';
import { RecordAnonymizer } from './record-anonymizer';

const filteredRecords = new Counter({
  name: 'consent_filter_records_total',
  help: 'Records through POST /v1/filter, by outcome (kept, anonymized, dropped)',
  labelNames: ['outcome'],
});

const filterQuerySchema = z.strictObject({
  purpose: purposeSchema,
  subjectField: textField(100).default('subjectId'),
  mode: z.enum(['filter', 'anonymize']).default('filter'),
  jurisdiction: jurisdictionSchema.optional(),
  campaignId: usageReferenceSchema.optional(),
  jobId: usageReferenceSchema.optional(),
});
type FilterQuery = z.output<typeof filterQuerySchema>;

/** The usage records of one snapshot window of a filter stream (at most SNAPSHOT_EVERY keys). */
interface UsageWindow {
  readonly position: string;
  readonly recorded: Set<string>;
}

const newUsageWindow = (snapshot: DecisionSnapshot): UsageWindow => ({
  position: snapshot.logPositionText,
  recorded: new Set(),
});

/** Who asks: the key, and the jurisdiction its request names. */
interface Asker {
  readonly keyId: string;
  readonly asked: AskedJurisdiction;
}

/** Where the filter listens; its body is never parsed up front. */
export const FILTER_PATH = '/v1/filter';

/** How often a long stream re-reads the view's freshness (fail closed mid-stream too). */
const SNAPSHOT_EVERY = 10_000;
/** Output is written in chunks of about this size, waiting for the client when it is slow. */
const CHUNK_BYTES = 64 * 1024;

type Format = 'json' | 'ndjson';

class MalformedRecordError extends Error {}

/**
 * Longest record accepted: an NDJSON line, in characters, or a JSON array's element, in bytes
 * (each is held whole while read).
 */
export const MAX_RECORD_LINE_LENGTH = 1024 * 1024;

/**
 * The lines of an NDJSON body as they arrive; a line longer than {@link MAX_RECORD_LINE_LENGTH}
 * ends the stream with an error as soon as it passes the limit, before the rest of it is read.
 */
async function* linesOf(request: IncomingMessage): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  const tooLong = () =>
    new MalformedRecordError(
      `line ${line + 1} is longer than ${MAX_RECORD_LINE_LENGTH} characters`,
    );
  for await (const chunk of request as AsyncIterable<Buffer>) {
    pending += decoder.write(chunk);
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      if (end - start > MAX_RECORD_LINE_LENGTH) throw tooLong();
      line += 1;
      yield pending.slice(start, end);
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_RECORD_LINE_LENGTH) throw tooLong();
  }
  pending += decoder.end();
  if (pending.length > 0) yield pending;
}

/** The records of a JSON array or an NDJSON body, one at a time, never the whole body at once. */
async function* recordsOf(request: IncomingMessage, format: Format): AsyncGenerator<unknown> {
  if (format === 'ndjson') {
    let line = 0;
    for await (const text of linesOf(request)) {
      line += 1;
      if (text.trim() === '') continue;
      try {
        yield JSON.parse(text);
      } catch {
        throw new MalformedRecordError(`line ${line} is not JSON`);
      }
    }
    return;
  }
  // The parser assembles each element whole: the bytes read since the last element are counted,
  // and the stream ends once they pass the limit, before the rest of the element is read.
  let sinceLastRecord = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sinceLastRecord += chunk.length;
      if (sinceLastRecord > MAX_RECORD_LINE_LENGTH)
        done(
          new MalformedRecordError(
            `an element of the JSON array is longer than ${MAX_RECORD_LINE_LENGTH} bytes`,
          ),
        );
      else done(null, chunk);
    },
  });
  const items = streamArray();
  pipeline(request, counter, parser(), items, () => undefined);
  try {
    for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
      sinceLastRecord = 0;
      yield item.value;
    }
  } catch (error) {
    if (error instanceof MalformedRecordError) throw error;
    throw new MalformedRecordError(`the body is not a JSON array: ${(error as Error).message}`);
  }
}

/**
 * Filter or anonymise records on read: the records whose subject allowed the purpose pass, the
 * others are dropped (mode=filter) or have their personal fields treated by data category
 * (mode=anonymize). Streams both ways.
 */
@ApiTags('decisions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('decision:read')
@Controller(FILTER_PATH.slice(1))
export class RecordsFilterHttpController {
  private readonly logger = new Logger(RecordsFilterHttpController.name);
  private readonly anonymizer: RecordAnonymizer;

  constructor(
    private readonly decisions: DecisionViewService,
    private readonly usageLog: UsageLogService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.anonymizer = new RecordAnonymizer(
      loadDataFieldRules(config.decisions.dataFieldsFile),
      config.decisions.anonymizationKey,
    );
  }

  @Post()
  @ApiOperation({
    summary: 'Keep only the records whose subject allowed the purpose, or anonymise the rest',
    description:
      'Body: a JSON array (application/json) or one record per line (application/x-ndjson); the answer has the same format and streams. Records without the subject field, or whose subject field is not a subject id, count as denied (and are not recorded in the usage log). Headers: Consent-Log-Position and Consent-Policy-Version at the start; trailer Consent-Filter-Counts at the end. A malformed record mid-stream aborts the response (the body is then incomplete, never silently short).',
  })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  async filter(
    @Query(new ZodPipe(filterQuerySchema)) query: FilterQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    const asker: Asker = {
      keyId: caller.keyId,
      asked: askedJurisdiction(query.jurisdiction, caller),
    };
    const format = this.formatOf(request.headers['content-type']);
    // An unknown purpose is a 422 before any record is read.
    this.decisions.assertKnownPurpose(query.purpose);
    this.usageLog.assertAccepting();
    let snapshot = this.decisions.snapshot();
    let usage = newUsageWindow(snapshot);

    // From here the answer streams: written to the socket directly, not through Fastify.
    reply.hijack();
    const response: ServerResponse = reply.raw;
    response.writeHead(200, {
      'Content-Type': format === 'json' ? 'application/json' : 'application/x-ndjson',
      'Consent-Log-Position': snapshot.logPositionText,
      'Consent-Policy-Version': snapshot.policyVersion,
      Trailer: 'Consent-Filter-Counts',
    });
    const counts = { records: 0, kept: 0, anonymized: 0, dropped: 0 };
    let pending = format === 'json' ? '[' : '';
    let first = true;
    const flush = async () => {
      if (pending && !response.write(pending)) await once(response, 'drain');
      pending = '';
    };
    try {
      for await (const record of recordsOf(request.raw, format)) {
        counts.records += 1;
        if (counts.records % SNAPSHOT_EVERY === 0) {
          snapshot = this.decisions.snapshot();
          usage = newUsageWindow(snapshot);
        }
        const out = this.treat(record, query, snapshot, usage, counts, asker);
        if (out === undefined) continue;
        pending +=
          format === 'json'
            ? `${first ? '' : ','}${JSON.stringify(out)}`
            : `${JSON.stringify(out)}\n`;
        first = false;
        if (pending.length >= CHUNK_BYTES) await flush();
      }
      if (format === 'json') pending += ']';
      await flush();
      response.addTrailers({
        'Consent-Filter-Counts': Object.entries(counts)
          .map(([name, value]) => `${name}=${value}`)
          .join(';'),
      });
      response.end();
    } catch (error) {
      this.logger.warn({
        msg: 'filter stream aborted',
        error: (error as Error).message,
        ...counts,
      });
      response.destroy(error as Error);
    } finally {
      filteredRecords.inc({ outcome: 'kept' }, counts.kept);
      filteredRecords.inc({ outcome: 'anonymized' }, counts.anonymized);
      filteredRecords.inc({ outcome: 'dropped' }, counts.dropped);
    }
  }

  private treat(
    record: unknown,
    query: FilterQuery,
    snapshot: DecisionSnapshot,
    usage: UsageWindow,
    counts: { kept: number; anonymized: number; dropped: number; records: number },
    asker: Asker,
  ): unknown {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new MalformedRecordError(`record ${counts.records} is not a JSON object`);
    }
    const fields = record as Record<string, unknown>;
    const subjectId = fields[query.subjectField];
    let allowed = false;
    // A value that is not a subject id (control characters, megabytes) names nobody the ledger
    // holds: denied, and kept out of the usage log, whose Kafka key it would otherwise become.
    if (typeof subjectId === 'string' && isSubjectId(subjectId)) {
      const decision = this.decisions.decide(subjectId, query.purpose, snapshot, asker.asked);
      allowed = decision.allowed;
      // One usage record per subject and answer per snapshot window, however many of the
      // subject's rows the stream carries: the log says this request used this person's data.
      const key = `${subjectId}\u0000${decision.reason}`;
      if (!usage.recorded.has(key)) {
        usage.recorded.add(key);
        this.usageLog.record([
          usageEntry(subjectId, decision, {
            kind: 'FILTER',
            purpose: query.purpose,
            askedBy: asker.keyId,
            campaignId: query.campaignId,
            jobId: query.jobId,
            logPosition: usage.position,
          }),
        ]);
      }
    }
    if (allowed) {
      counts.kept += 1;
      return record;
    }
    if (query.mode === 'anonymize') {
      counts.anonymized += 1;
      return this.anonymizer.anonymize(fields);
    }
    counts.dropped += 1;
    return undefined;
  }

  private formatOf(contentType: string | undefined): Format {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/json') return 'json';
    if (type === 'application/x-ndjson' || type === 'application/jsonl') return 'ndjson';
    throw new AppError(
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      'Unsupported media type',
      `Send a JSON array as application/json or one record per line as application/x-ndjson (got '${type || 'none'}').`,
    );
  }
}
