import { ProjectionCheckpointEntity } from './projection-checkpoint.entity';

export { ProjectionCheckpointEntity };

/** Every entity of the read model. */
export const entities = [ProjectionCheckpointEntity];
