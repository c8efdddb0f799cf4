import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The next offset a projection will read in one partition of one topic. */
@Entity({ name: 'projection_checkpoint' })
export class ProjectionCheckpointEntity {
  @PrimaryColumn({ type: 'text' })
  projection!: string;

  @PrimaryColumn({ type: 'text' })
  topic!: string;

  @PrimaryColumn({ type: 'integer' })
  partition!: number;

  /** bigint comes back from pg as a string; offsets beyond 2^53 stay exact. */
  @Column({ name: 'next_offset', type: 'bigint' })
  nextOffset!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
