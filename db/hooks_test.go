package db

// WithoutInsertReturning makes store read the ids of the rows it inserts
// back, as on a server without INSERT … RETURNING (MySQL), so that the
// tests run that path on MariaDB too.
func WithoutInsertReturning(store *DB) { store.returning = false }

// TraceStatements tells fn each statement store's write transactions
// send, their begin and commit included.
func TraceStatements(store *DB, fn func(query string)) { store.trace = fn }
