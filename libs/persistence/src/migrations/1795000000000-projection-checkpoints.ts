import { sqlMigration } from './sql-migration';

/**
 * Where each projection has got to in each partition. A projection writes its view and its
 * checkpoint in one transaction, so after a crash it resumes exactly after the last applied record.
 */
export const ProjectionCheckpoints1795000000000 = sqlMigration(
  'ProjectionCheckpoints1795000000000',
  {
    up: [
      `
      CREATE TABLE projection_checkpoint (
        projection  text        NOT NULL,
        topic       text        NOT NULL,
        partition   integer     NOT NULL CHECK (partition >= 0),
        next_offset bigint      NOT NULL CHECK (next_offset >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, topic, partition)
      )`,
    ],
    down: ['DROP TABLE projection_checkpoint'],
  },
);
