import { ProjectionCheckpoints1795000000000 } from './1795000000000-projection-checkpoints';

/** Every migration, oldest first. Listed explicitly so that ts-node and compiled code agree. */
export const migrations = [ProjectionCheckpoints1795000000000];
