-- Databases besides consent_ledger (created by POSTGRES_DB), as deploy/local/stack.sh makes them.
CREATE DATABASE consent_ledger_test;
CREATE DATABASE consent_ledger_registry;
