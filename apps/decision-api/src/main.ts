import 'reflect-metadata';
import { listenOrExit } from '@consent-ledger/http';
import { createDecisionApi } from './decision-api.factory';

listenOrExit('decision API', () => createDecisionApi());
