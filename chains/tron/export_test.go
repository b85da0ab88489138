package tron

// VectorOf exports vectorOf to the package's external tests (the wallet's vectors).
func VectorOf(name string, signed []byte) (any, error) { return vectorOf(name, signed) }
