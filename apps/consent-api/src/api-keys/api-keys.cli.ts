import { Command, Option } from 'commander';

/**
 * `npm run -s keys -- <command>`: the admin API for managed keys from a shell. Talks to the
 * consent API at `--api-url` (or CONSENT_API_URL; default http://127.0.0.1:3000) with the admin key
 * in ADMIN_API_KEY (an environment variable, not an argument: arguments show in `ps`); prints the
 * answer as JSON; exits 1 when the API refuses.
 */
interface Connection {
  readonly apiUrl: string;
  readonly adminKey?: string;
}

async function call(
  connection: Connection,
  method: string,
  path: string,
  body?: unknown,
): Promise<void> {
  if (!connection.adminKey) throw new Error('set ADMIN_API_KEY to a key with the admin scope');
  const response = await fetch(`${connection.apiUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${connection.adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  process.stdout.write(`${await response.text()}\n`);
  if (!response.ok) process.exitCode = 1;
}

const list = (value: string) => value.split(',').map((entry) => entry.trim());

interface CreateOptions {
  readonly id: string;
  readonly role?: string;
  readonly scopes?: string[];
  readonly channels?: string[];
}

function addCreate(program: Command, connection: () => Connection): void {
  program
    .command('create')
    .description('create a key; its secret is printed this once')
    .requiredOption('--id <keyId>', 'the key id (lower-case letters, digits, . _ -)')
    .option('--role <role>', 'collector, preference-centre, downstream, auditor, support or admin')
    .option('--scopes <scopes>', 'scopes instead of a role, comma-separated', list)
    .option(
      '--channels <channels>',
      'collection channels the key may record, comma-separated',
      list,
    )
    .action((options: CreateOptions) =>
      call(connection(), 'POST', '/v1/api-keys', {
        keyId: options.id,
        ...(options.role ? { role: options.role } : {}),
        ...(options.scopes ? { scopes: options.scopes } : {}),
        ...(options.channels ? { channels: options.channels } : {}),
      }),
    );
}

export function apiKeysProgram(): Command {
  const program = new Command('keys')
    .description('Managed API keys: create, list, rotate, revoke.')
    .addOption(
      new Option('--api-url <url>', 'the consent API')
        .env('CONSENT_API_URL')
        .default('http://127.0.0.1:3000'),
    )
    .addOption(new Option('--admin-key <key>').env('ADMIN_API_KEY').hideHelp());
  const connection = () => program.opts<Connection>();
  addCreate(program, connection);
  program
    .command('list')
    .description('every key, managed or seeded (never a secret)')
    .action(() => call(connection(), 'GET', '/v1/api-keys'));
  program
    .command('rotate <keyId>')
    .description('a new secret; the others stay valid for the overlap')
    .option('--overlap-seconds <seconds>', 'how long the old secrets stay valid', '86400')
    .action((keyId: string, options: { overlapSeconds: string }) =>
      call(connection(), 'POST', `/v1/api-keys/${encodeURIComponent(keyId)}/rotations`, {
        overlapSeconds: Number(options.overlapSeconds),
      }),
    );
  program
    .command('revoke <keyId>')
    .description('refused on every app within a second')
    .action((keyId: string) =>
      call(connection(), 'DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`),
    );
  return program;
}

if (require.main === module) {
  apiKeysProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`keys: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
