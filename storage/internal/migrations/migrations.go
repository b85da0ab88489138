// Package migrations reads a backend's embedded, versioned SQL migrations: files
// NNNN_name.sql, version NNNN, numbered 1, 2, 3... without gaps. Each backend (SQLite,
// PostgreSQL) keeps its own dialect's files and applies them its own way.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file: Name is its base name, SQL its text.
type Migration struct{ Name, SQL string }

// Load returns the *.sql files of dir in fsys in version order, or an error naming
// the first file out of sequence.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for i, n := range names {
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s is out of sequence (want version %d)", base, i+1)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Name: base, SQL: string(b)})
	}
	return out, nil
}
