import { Client } from 'pg';

export interface TemporaryDatabase {
  /** postgres:// URL of the new, empty database. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

async function onAdminDatabase<T>(
  baseUrl: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const adminUrl = new URL(baseUrl);
  adminUrl.pathname = '/postgres';
  const client = new Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the server of `baseUrl`, for one test file's exclusive use. */
export async function createTemporaryDatabase(baseUrl: string): Promise<TemporaryDatabase> {
  const name = `cl_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await onAdminDatabase(baseUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      onAdminDatabase(baseUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ).then(() => undefined),
  };
}
