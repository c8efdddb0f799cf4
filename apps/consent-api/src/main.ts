import 'reflect-metadata';
import { listenOrExit } from '@consent-ledger/http';
import { createConsentApi } from './consent-api.factory';

listenOrExit('consent-api', () => createConsentApi());
