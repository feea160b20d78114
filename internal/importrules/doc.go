// Package importrules holds the test that keeps the package layout of
// docs/architecture.md: which package may import which, and the size of a
// source file. It has no code of its own.
package importrules
