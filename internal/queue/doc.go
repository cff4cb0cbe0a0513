// Package queue runs the engine's background work: a [Dispatcher] stores jobs
// in the same transaction as the state change that asks for them and later
// calls the handler registered for each job's kind.
//
// [River] is the durable implementation, on SQLite (River with its riversqlite
// driver, [NewRiver]) or on PostgreSQL (riverdatabasesql, [NewRiverPostgres]):
// jobs survive a crash, and a job that was running when its process died runs
// again once River's rescuer declares it stuck. [Memory] is an
// in-process implementation for tests and benchmarks; it loses its jobs when
// the process exits.
//
// Handlers run at least once, never exactly once: after a crash or a stuck-job
// rescue a job may run again, so every handler must be idempotent.
package queue
