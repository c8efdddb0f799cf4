import { Client } from 'pg';
import { ConsentOutboxRepository, OUTBOX_CHANNEL } from './consent-outbox.repository';
import type { Queryable, StoredOutboxMessage } from './consent-outbox.repository';
import { preparedStatement } from './prepared-query';

/**
 * The outbox relay's own PostgreSQL session: it listens there for the projector's NOTIFY (sent
 * on commit) and holds the relay lock for as long as the session lives (one relay at a time
 * keeps per-key order). Not a pooled connection: the lock and the LISTEN belong to the session.
 */
export class OutboxRelaySession {
  private readonly outbox = new ConsentOutboxRepository();
  private locked = false;

  private constructor(
    private readonly client: Client,
    private readonly queries: Queryable,
  ) {}

  /** Opens a session; `onNotify` runs on each commit that added messages, `onError` if it fails. */
  static async open(
    databaseUrl: string,
    onNotify: () => void,
    onError: (error: Error) => void,
  ): Promise<OutboxRelaySession> {
    const client = new Client({ connectionString: databaseUrl });
    client.on('notification', onNotify);
    client.on('error', onError);
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    return new OutboxRelaySession(client, {
      query: async (sql, params) => (await client.query(preparedStatement(sql, params))).rows,
    });
  }

  /** Whether this session holds the relay lock (taken on the first call that finds it free). */
  async holdsRelayLock(): Promise<boolean> {
    this.locked ||= await this.outbox.tryLockRelay(this.queries);
    return this.locked;
  }

  oldest(limit: number): Promise<StoredOutboxMessage[]> {
    return this.outbox.oldest(this.queries, limit);
  }

  remove(ids: readonly string[]): Promise<void> {
    return this.outbox.remove(this.queries, ids);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
