import 'reflect-metadata';
import { listenOrExit } from '@consent-ledger/http';
import { createProjectorApp } from './projector-app.factory';

listenOrExit('projector', () => createProjectorApp());
