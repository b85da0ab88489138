package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad_InOrderAndWithoutGaps(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/notes.txt":  {Data: []byte("not a migration")},
	}
	got, err := Load(fsys, "m")
	if err != nil || len(got) != 2 || got[0] != (Migration{"0001_a.sql", "A"}) || got[1] != (Migration{"0002_b.sql", "B"}) {
		t.Fatalf("Load: %v, %+v", err, got)
	}
	fsys["m/0004_d.sql"] = &fstest.MapFile{Data: []byte("D")}
	if _, err := Load(fsys, "m"); err == nil || !strings.Contains(err.Error(), "0004_d.sql is out of sequence (want version 3)") {
		t.Fatalf("a gap: %v", err)
	}
}
