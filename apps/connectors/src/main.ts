import 'reflect-metadata';
import { listenOrExit } from '@consent-ledger/http';
import { createConnectorsApp } from './connectors-app.factory';

listenOrExit('connectors', () => createConnectorsApp());
