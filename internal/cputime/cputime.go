// Package cputime reads the CPU time the process has used, for the
// benchmarks that report it per operation: on a shared machine other
// processes change it far less than they change the wall time.
package cputime
