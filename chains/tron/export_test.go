package tron

import "testing"

// VectorOf exports vectorOf to the package's external tests (the wallet's vectors).
func VectorOf(name string, signed []byte) (any, error) { return vectorOf(name, signed) }

// SameVectors exports sameVectors to the external tests.
func SameVectors(t *testing.T, path string, vs []any) { t.Helper(); sameVectors(t, path, vs) }
