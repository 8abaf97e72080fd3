// Package reliability holds the reliability and security campaign of tracker
// issue 9, run against the real binaries (built once in TestMain): the short
// crash and rotation soak (the long one is tools/soak), overlapping runs,
// resource faults, hostile input, secrets and file modes, and TLS
// verification. It has no code of its own; see the _test.go files.
package reliability
