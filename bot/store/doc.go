// Package store is the App's persistence: webhook deliveries, environment
// locks, plans, runs (applies, deploys, seeds), pull-request state and run
// logs, and the River job queue, whose tables live in the same database so
// that "record a delivery and enqueue its jobs" is one transaction.
//
// One interface, Store, has two implementations that pass one conformance
// suite (package storetest): SQLite, the default (pure Go, one process), and
// PostgreSQL, for several replicas sharing one queue. Open picks one from the
// database URL and migrates the store's tables and River's.
//
// The store decides nothing. Whether a plan may be applied, who may unlock,
// what a comment says: that belongs to the jobs. The store offers the atomic
// steps those decisions are built on (insert unless known, compare-and-set,
// claim) and keeps them true under concurrent jobs and replicas. It imports
// no engine and no GitHub client, and it keeps no plan files: it records the
// directory they are in and hands it back when they may be deleted.
package store
