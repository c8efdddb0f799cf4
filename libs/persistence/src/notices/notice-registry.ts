import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../audit.repository';
import type { RegisteredNotice } from '../audit.repository';

/** The DI token of the {@link NoticeRegistry}. */
export const NOTICE_REGISTRY = Symbol('NOTICE_REGISTRY');

/** The exact text of each notice version, by id and version; versions never change. */
export interface NoticeRegistry {
  /** Registers a version; `created` false when the id and version were already there (as kept). */
  register(
    notice: Omit<RegisteredNotice, 'registeredAt'>,
  ): Promise<{ readonly created: boolean; readonly notice: RegisteredNotice }>;
  find(noticeId: string, version: string): Promise<RegisteredNotice | undefined>;
}

export const noticeRegistryProvider: Provider = {
  provide: NOTICE_REGISTRY,
  inject: [DataSource],
  useFactory: (dataSource: DataSource): NoticeRegistry => {
    const audit = new AuditRepository();
    return {
      register: (notice) => audit.registerNotice(dataSource.manager, notice),
      find: async (noticeId, version) =>
        (await audit.notices(dataSource.manager, [{ noticeId, version }]))[0],
    };
  },
};
