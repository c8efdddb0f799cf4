import 'reflect-metadata';
import { listenOrExit } from '@consent-ledger/http';
import { createAuditorApi } from './http/auditor-api.factory';

listenOrExit('audit API', () => createAuditorApi());
