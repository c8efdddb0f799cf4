import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@consent-ledger/http';
import { sha256Hex } from '@consent-ledger/kafka';
import { NOTICE_REGISTRY } from '@consent-ledger/persistence';
import type { NoticeRegistry, RegisteredNotice } from '@consent-ledger/persistence';

/** What a caller registers: a notice version's text, as people are shown it. */
export interface NoticeText {
  readonly text: string;
  readonly language: string | null;
  readonly title: string | null;
}

/**
 * The notice registry's use cases: a version's text is registered once and never changes, so a
 * proof of consent shows what the person was shown.
 */
@Injectable()
export class NoticeRegistrationService {
  constructor(@Inject(NOTICE_REGISTRY) private readonly registry: NoticeRegistry) {}

  /** Registers the text; `created` false when the same text was already there. */
  async register(
    noticeId: string,
    version: string,
    { text, language, title }: NoticeText,
    registeredBy: string,
  ): Promise<{ readonly created: boolean; readonly notice: RegisteredNotice }> {
    const textSha256 = sha256Hex(text);
    const registered = await this.registry.register({
      noticeId,
      version,
      textSha256,
      text,
      language,
      title,
      registeredBy,
    });
    if (!registered.created && registered.notice.textSha256 !== textSha256) {
      throw new AppError(
        'NOTICE.VERSION_EXISTS',
        'Notice version already registered',
        `Notice '${noticeId}' version '${version}' is registered with a different text (SHA-256 ${registered.notice.textSha256}); register the new text as a new version.`,
      );
    }
    return registered;
  }

  async find(noticeId: string, version: string): Promise<RegisteredNotice> {
    const notice = await this.registry.find(noticeId, version);
    if (!notice)
      throw new AppError(
        'NOTICE.NOT_FOUND',
        'Notice not found',
        `Notice '${noticeId}' version '${version}' is not registered.`,
      );
    return notice;
  }
}
