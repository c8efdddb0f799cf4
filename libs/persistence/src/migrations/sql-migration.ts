import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The statements of one schema change, applied in order, and those that undo it. */
export interface SqlSteps {
  readonly up: readonly string[];
  readonly down: readonly string[];
}

/**
 * A TypeORM migration made of plain SQL statements. `name` ends with the migration's timestamp
 * (TypeORM orders and records migrations by it); the statements run in the one transaction that
 * applies every pending migration.
 */
export function sqlMigration(name: string, steps: SqlSteps): new () => MigrationInterface {
  const run = async (queryRunner: QueryRunner, statements: readonly string[]): Promise<void> => {
    for (const statement of statements) await queryRunner.query(statement);
  };
  return class implements MigrationInterface {
    name = name;
    up(queryRunner: QueryRunner): Promise<void> {
      return run(queryRunner, steps.up);
    }
    down(queryRunner: QueryRunner): Promise<void> {
      return run(queryRunner, steps.down);
    }
  };
}
